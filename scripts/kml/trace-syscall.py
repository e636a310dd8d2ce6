# SPDX-License-Identifier: GPL-2.0
#
# gdb script for scripts/kml/trace-syscall: from one call of
# __x64_sys_getppid (or KML_TRACE_SYM) to the next, single-step and count
# the instructions of each function on the way.
import os
import gdb

LIMIT = 5000
SYM = os.environ.get("KML_TRACE_SYM", "__x64_sys_getppid")


def where(pc):
    sym = gdb.execute("info symbol 0x%x" % pc, to_string=True).strip()
    if sym.startswith("No symbol"):
        return "?0x%x" % pc
    return sym.split(" + ")[0].split(" in section")[0]


def run():
    gdb.execute("set pagination off")
    bp = gdb.Breakpoint(SYM, type=gdb.BP_BREAKPOINT)
    gdb.execute("continue")
    start = int(gdb.parse_and_eval("$pc"))
    bp.delete()
    groups = []
    n = 0
    while n < LIMIT:
        gdb.execute("stepi", to_string=True)
        n += 1
        pc = int(gdb.parse_and_eval("$pc"))
        if pc == start:
            break
        fn = where(pc)
        if groups and groups[-1][0] == fn:
            groups[-1][1] += 1
        else:
            groups.append([fn, 1])
    with open(os.environ["KML_TRACE_OUT"], "w") as f:
        for fn, c in groups:
            f.write("%5d  %s\n" % (c, fn))
        f.write("%5d  instructions from one %s to the next%s\n"
                % (n, SYM, "" if n < LIMIT else " (limit reached)"))
    gdb.execute("kill")


run()
