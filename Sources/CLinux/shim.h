#ifndef KEYROT_CLINUX_SHIM_H
#define KEYROT_CLINUX_SHIM_H

// Linux calls Swift cannot make itself: prctl(2) is variadic, and Swift cannot call C varargs.
#include <sys/prctl.h>

/// prctl(PR_SET_DUMPABLE, 0): no core dump, and no ptrace or /proc/PID/mem access by the same uid.
static inline int keyrot_set_undumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

#endif
