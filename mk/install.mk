# SPDX-License-Identifier: MIT
# Libraries, `make install`, the man page, bash completion, pkg-config and
# the Debian package (README "Installing").
#
#   make libs                  libcellvm.a and libcellvm.so.$(SOVERSION), arm64
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=$(PREFIX)/lib]
#                              the arm64 command and library (cellvm runs only
#                              on arm64 KVM hosts; on x86_64 this stages the
#                              cross-built files into DESTDIR, for packaging)
#   make install-lib LIB_BUILD=host   the host library instead (x86_64, with
#                              the scripted test backend), for the tests
#   make deb                   build/deb/*.deb (dpkg-buildpackage, arm64)
#   make check-install check-docs check-deb   their tests (in make test)

SOVERSION := 0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install

INSTALL_HEADERS = $(PUBLIC_HEADERS)

# ---- the exported symbols: derived from the public headers ------------------
# tools/public-symbols reads the functions and extern objects the public
# headers declare; everything else stays local to the shared library.
# The host test library also exports the test backend (src/hv/test.h).
build/gen/libcellvm.map: $(PUBLIC_HEADERS) tools/public-symbols FORCE | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	$(Q)CC=$(HOST_CC) tools/public-symbols --version-script CELLVM_$(SOVERSION) $(PUBLIC_HEADERS) >$@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
build/gen/libcellvm-test.map: $(PUBLIC_HEADERS) $(TEST_HV_HEADERS) tools/public-symbols FORCE | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	$(Q)CC=$(HOST_CC) tools/public-symbols --version-script CELLVM_$(SOVERSION) \
		$(PUBLIC_HEADERS) $(TEST_HV_HEADERS) >$@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

SO_LDFLAGS = -shared -Wl,-soname,libcellvm.so.$(SOVERSION) -Wl,--no-undefined -Wl,-z,relro -Wl,-z,now

# ---- arm64 libraries (the same PIC objects as the command) ------------------
build/arm64/libcellvm.a: $(ARM64_LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)$(patsubst %gcc,%ar,$(CROSS_CC)) rcs $@ $^

# libfdt and zlib are linked in statically and kept local (its arm64 shared library is
# not installable beside the host's; see debian/README.source).
build/arm64/libcellvm.so.$(SOVERSION): $(ARM64_LIB_OBJS) build/gen/libcellvm.map
	@echo "  LD      $@"
	$(Q)$(CROSS_CC) $(SO_LDFLAGS) -Wl,--version-script=build/gen/libcellvm.map \
		-o $@ $(ARM64_LIB_OBJS) $(CROSS_FDT_LIBS) -lpthread

# ---- host library: plain -O2 PIC, no sanitizers, with the test backend ------
LIB_CFLAGS := $(COMMON_CFLAGS) -O2 -g -fPIC -fvisibility=hidden -include build/gen/public-test.h
LIB_OBJS := $(patsubst src/%.c,build/lib/obj/%.o,$(PORTABLE_SRCS) $(TEST_HV_SRCS))

build/lib/obj/%.o: src/%.c | $(HOST_STAMP) build/gen/public-test.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(HOST_CC) $(LIB_CFLAGS) $(DEPFLAGS) -c $< -o $@

build/lib/libcellvm.a: $(LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

build/lib/libcellvm.so.$(SOVERSION): $(LIB_OBJS) build/gen/libcellvm-test.map
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(SO_LDFLAGS) -Wl,--version-script=build/gen/libcellvm-test.map \
		-o $@ $(LIB_OBJS) -lfdt -lz -lpthread

.PHONY: libs host-libs
libs: build/arm64/libcellvm.a build/arm64/libcellvm.so.$(SOVERSION)
host-libs: build/lib/libcellvm.a build/lib/libcellvm.so.$(SOVERSION)

# ---- man page, completion, pkg-config ---------------------------------------
build/gen/libcellvm.pc: dist/libcellvm.pc.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< >$@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# ---- make install -------------------------------------------------------------
# Each step is its own command: the first failure (an unwritable DESTDIR)
# stops make with a non-zero status.
LIB_BUILD ?= arm64
LIB_DIR_OF = $(if $(filter host,$(LIB_BUILD)),build/lib,build/arm64)
.PHONY: install install-bin install-lib install-doc
install: install-bin install-lib install-doc

install-bin: build/arm64/cellvm
	$(INSTALL) -d $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 755 build/arm64/cellvm $(DESTDIR)$(BINDIR)/cellvm

install-lib: $(LIB_DIR_OF)/libcellvm.a $(LIB_DIR_OF)/libcellvm.so.$(SOVERSION) build/gen/libcellvm.pc
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/cellvm
	$(INSTALL) -m 644 $(LIB_DIR_OF)/libcellvm.a $(DESTDIR)$(LIBDIR)/libcellvm.a
	$(INSTALL) -m 644 $(LIB_DIR_OF)/libcellvm.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libcellvm.so.$(SOVERSION)
	ln -sf libcellvm.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libcellvm.so
	$(INSTALL) -m 644 build/gen/libcellvm.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libcellvm.pc
	$(INSTALL) -m 644 $(INSTALL_HEADERS) $(DESTDIR)$(INCLUDEDIR)/cellvm/

install-doc:
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 644 dist/cellvm.1 $(DESTDIR)$(MANDIR)/man1/cellvm.1
	$(INSTALL) -m 644 dist/cellvm.bash-completion $(DESTDIR)$(BASHCOMPDIR)/cellvm

# ---- tests of all that ----------------------------------------------------------
# The exported dynamic symbols of both libraries against the public headers,
# the installed trees, pkg-config, an unwritable DESTDIR.
.PHONY: check-install check-docs
check-install: libs host-libs build/arm64/cellvm | $(PKG_STAMP)
	tools/check-install

# The man page lints clean; README's option table, the man page, --help and
# the bash completion name the same options, keys and exit statuses.
check-docs: | $(PKG_STAMP)
	tools/check-docs

# ---- make deb -------------------------------------------------------------------
# dpkg-buildpackage cross-builds for arm64 (-aarm64) with -d: the build
# dependencies' arm64 libfdt is the unpacked sysroot in build/deps, which
# dpkg cannot see (debian/README.source). The packages land in build/deb/.
DEB_VERSION = $(shell dpkg-parsechangelog -S Version 2>/dev/null)
DEB_CELLVM = build/deb/cellvm_$(DEB_VERSION)_arm64.deb
.PHONY: deb check-deb
deb: | $(DEPS_STAMP) $(PKG_STAMP)
	@rm -rf build/deb && mkdir -p build/deb
	dpkg-buildpackage -aarm64 -b -d -us -uc --buildinfo-file=build/deb/cellvm.buildinfo \
		--buildinfo-option=-ubuild/deb --changes-option=-ubuild/deb \
		--changes-file=build/deb/cellvm.changes --no-pre-clean
	lintian --fail-on error build/deb/cellvm.changes

check-deb: deb
	tools/check-deb build/deb

# e2e: the deb part boots the default guest with the cellvm binary taken out
# of the package (only built when the part runs).
ifneq ($(filter deb,$(E2E_PARTS_GIC3)),)
.PHONY: deb-extract
deb-extract: deb
	@rm -rf build/deb/extract
	dpkg-deb -x $(DEB_CELLVM) build/deb/extract
	@echo "$(VERSION)" >build/deb/extract/version
# Target-specific: only the GICv3 run carries (and builds) them.
e2e-gic3: E2E_FILES += --file build/deb/extract/usr/bin/cellvm:/tmp/deb/cellvm \
	--file build/deb/extract/version:/tmp/deb/version
e2e-gic3: deb-extract
endif
