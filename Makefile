# dynomite_fdw: a PostgreSQL foreign data wrapper for Amazon DynamoDB

EXTENSION = dynomite_fdw
MODULE_big = dynomite_fdw
OBJS = \
	src/dynomite_fdw.o \
	src/option.o \
	src/connection.o \
	src/dynamo_api.o \
	src/convert.o \
	src/scan.o \
	src/planner.o \
	src/deparse.o \
	src/metadata.o \
	src/join.o \
	src/token.o \
	src/paging.o \
	src/jsontext.o \
	src/analyze.o \
	src/access.o \
	src/request.o \
	src/write_convert.o \
	src/modify.o \
	src/credentials.o \
	src/budget.o \
	src/sigv4.o
DATA = dynomite_fdw--0.1.sql dynomite_fdw--0.1--0.2.sql
PGFILEDESC = "dynomite_fdw - foreign data wrapper for Amazon DynamoDB"

PKG_CONFIG ?= pkg-config
DEPS_PC = libcurl json-c openssl
PG_CPPFLAGS = -I$(srcdir)/src $(shell $(PKG_CONFIG) --cflags $(DEPS_PC) 2>/dev/null)
SHLIB_LINK = $(shell $(PKG_CONFIG) --libs $(DEPS_PC) 2>/dev/null)
EXTRA_CLEAN = test/unit/sigv4_test

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# before test/install-deps.sh has run there is no PGXS to build with
all install:
	@echo "PostgreSQL server headers not found: run 'make deps' (as root) first" >&2
	@exit 1
endif

# every source sees the shared header
$(OBJS): src/dynomite_fdw.h src/compat.h src/sigv4.h

# the signer's unit test needs OpenSSL only, no PostgreSQL
test/unit/sigv4_test: test/unit/sigv4_test.c src/sigv4.c src/sigv4.h
	$(CC) -O2 -Wall -Wextra -Isrc -o $@ test/unit/sigv4_test.c src/sigv4.c \
		$(shell $(PKG_CONFIG) --cflags --libs openssl)

.PHONY: deps test demo
deps:
	bash test/install-deps.sh

test:
	PG="$(PG)" SERVER="$(SERVER)" bash test/run.sh

demo:
	KEEP="$(KEEP)" bash test/demo.sh

.PHONY: bench
bench:
	bash bench/run.sh
