#ifndef KEYROT_CSYSTEMD_SHIM_H
#define KEYROT_CSYSTEMD_SHIM_H

// The slice of libsystemd that KeyrotSystemd uses: sd_notify, sd_watchdog_enabled, sd_listen_fds_with_names,
// sd_is_socket_unix and sd_journal_sendv. The variadic sd_journal_send and sd_notifyf are not used: Swift
// cannot call C varargs, and sd_journal_sendv and sd_notify take the same data as an array and a string.
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

#endif
