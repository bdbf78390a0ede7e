# The C part of the executable: QuickJS (compiled from the npm package qjsc,
# which carries its sources), the platform (src/platform/), and the programs'
# bytecode, linked into one static executable with musl. Run by
# scripts/build.sh, once per architecture:
#
#   make -f scripts/platform.mk ARCH=amd64|arm64 BYTECODE=build/bytecode.c OUTPUT=dist/my_init-amd64
#
# and for the build tools that run here (amd64 only):
#
#   make -f scripts/platform.mk ARCH=amd64 build/amd64/compile-bytecode build/amd64/test-host
#
# BUILD (default build) is where the objects go.

QUICKJS := node_modules/qjsc/deps/quickjs_2021_03_27
QUICKJS_VERSION := $(shell cat $(QUICKJS)/VERSION)
ARCH ?= amd64
BUILD ?= build
OBJ := $(BUILD)/$(ARCH)

ifeq ($(ARCH),amd64)
CC := musl-gcc
STRIP := strip
else ifeq ($(ARCH),arm64)
# Debian's cross gcc with musl for arm64 (musl-dev:arm64): the amd64 specs file, pointed at arm64's musl.
CC := aarch64-linux-gnu-gcc -specs $(OBJ)/musl-gcc.specs
STRIP := aarch64-linux-gnu-strip
else
$(error ARCH must be amd64 or arm64)
endif

# BigInt (chpst's limits) needs CONFIG_BIGNUM in this QuickJS.
QUICKJS_FLAGS := -O2 -D_GNU_SOURCE -DCONFIG_VERSION=\"$(QUICKJS_VERSION)\" -DCONFIG_BIGNUM -w
PLATFORM_FLAGS := -O2 -std=gnu11 -Wall -Wextra -Werror -isystem $(QUICKJS)

QUICKJS_OBJECTS := $(addprefix $(OBJ)/quickjs/,quickjs.o libregexp.o libunicode.o cutils.o libbf.o)
PLATFORM_OBJECTS := $(addprefix $(OBJ)/platform/,runtime.o memory.o values.o files.o processes.o signals.o loop.o sockets.o)
PLATFORM_HEADERS := src/platform/platform.h src/platform/runtime.h src/platform/logger-stub.h

$(OBJ)/musl-gcc.specs: /usr/lib/x86_64-linux-musl/musl-gcc.specs
	@mkdir -p $(@D)
	sed -e 's/x86_64-linux-musl/aarch64-linux-musl/g' -e 's/ld-musl-x86_64/ld-musl-aarch64/g' $< > $@

ifeq ($(ARCH),arm64)
$(QUICKJS_OBJECTS) $(PLATFORM_OBJECTS) $(OBJ)/platform/main.o $(OBJ)/platform/logger-stub.o $(OBJ)/bytecode.o: $(OBJ)/musl-gcc.specs
endif

$(OBJ)/quickjs/%.o: $(QUICKJS)/%.c
	@mkdir -p $(@D)
	$(CC) $(QUICKJS_FLAGS) -c -o $@ $<

$(OBJ)/platform/%.o: src/platform/%.c $(PLATFORM_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PLATFORM_FLAGS) -c -o $@ $<

$(OBJ)/bytecode.o: $(BYTECODE)
	$(CC) -O2 -c -o $@ $<

$(OUTPUT): $(OBJ)/platform/main.o $(OBJ)/platform/logger-stub.o $(PLATFORM_OBJECTS) $(QUICKJS_OBJECTS) $(OBJ)/bytecode.o
	@mkdir -p $(@D)
	$(CC) -static -o $@.new $^ -lm
	$(STRIP) $@.new
	mv $@.new $@

$(OBJ)/compile-bytecode: scripts/compile-bytecode.c $(QUICKJS_OBJECTS)
	$(CC) $(PLATFORM_FLAGS) -static -o $@ $^ -lm

# The unit tests' host: the same engine and platform, running a bundle from a file (test/host/).
$(OBJ)/test-host: test/host/host.c $(PLATFORM_OBJECTS) $(QUICKJS_OBJECTS)
	$(CC) $(PLATFORM_FLAGS) -Isrc/platform -static -o $@ $^ -lm

.PHONY: executable
executable: $(OUTPUT)
