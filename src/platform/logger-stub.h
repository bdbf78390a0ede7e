/* What a handed-over svlogd runs instead of the engine (logger-stub.c says why). */
#ifndef MY_INIT_LOGGER_STUB_H
#define MY_INIT_LOGGER_STUB_H

/* Keeps the logger's pid, passing its signals on over `channel`; returns the exit code. */
int logger_stub(int channel);

#endif
