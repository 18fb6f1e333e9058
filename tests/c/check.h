/*
 * A tiny test harness for the C tests: CHECK(...) records a pass or a failure (with file, line and the
 * failed expression), CHECK_STATUS(...) also prints the status names and numcodecs_last_error(), and
 * check_summary() prints "N passed, N failed" as the last line and gives the process exit status.
 */
#ifndef NUMCODECS_TEST_CHECK_H
#define NUMCODECS_TEST_CHECK_H

#include <stdio.h>

#include "numcodecs.h"

static int check_passed = 0;
static int check_failed = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) {                                                              \
            check_passed++;                                                      \
        } else {                                                                 \
            check_failed++;                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

/* Evaluates `call` once and compares its status with `want`. */
#define CHECK_STATUS(call, want)                                                        \
    do {                                                                                \
        numcodecs_status check_got_ = (call);                                           \
        numcodecs_status check_want_ = (want);                                          \
        if (check_got_ == check_want_) {                                                \
            check_passed++;                                                             \
        } else {                                                                        \
            check_failed++;                                                             \
            fprintf(stderr, "%s:%d: %s\n    returned %s, expected %s (last error: \"%s\")\n", \
                    __FILE__, __LINE__, #call, numcodecs_status_name((int)check_got_),   \
                    numcodecs_status_name((int)check_want_), numcodecs_last_error());    \
        }                                                                               \
    } while (0)

static int check_summary(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed == 0 ? 0 : 1;
}

#endif /* NUMCODECS_TEST_CHECK_H */
