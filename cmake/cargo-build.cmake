# Run by the numcodecs_cargo target (cmake -P): builds the library with cargo, records the native
# libraries its static archive needs, and writes the package files that list them.
#
# The native library list comes from rustc itself (--print native-static-libs) rather than a guess: it
# depends on the Rust version, the target and the dependencies. cargo replays rustc's notes when the crate
# is already fresh, so the list is available on every build, not only on the first.
cmake_minimum_required(VERSION 3.18)

foreach(_var CARGO SOURCE_DIR TARGET_DIR PROFILE NATIVE_LIBS_FILE PACKAGE_DIR CONFIG_TEMPLATE PKGCONFIG_TEMPLATE
             VERSION VERSION_MAJOR LIBDIR INCLUDEDIR REALNAME SONAME LINKNAME STATIC_NAME)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "cargo-build.cmake: ${_var} is not set")
  endif()
endforeach()

set(_cargo_args rustc --lib --profile "${PROFILE}" --target-dir "${TARGET_DIR}")
if(LOCKED)
  list(APPEND _cargo_args --locked)
endif()
# `cargo rustc` builds every crate type in Cargo.toml (cdylib, staticlib, rlib), like `cargo build`,
# and passes the flags after `--` to the numcodecs crate only.
list(APPEND _cargo_args -- --print=native-static-libs)

execute_process(
  COMMAND "${CARGO}" ${_cargo_args}
  WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE _result
  ERROR_VARIABLE _stderr
  ECHO_ERROR_VARIABLE)
if(NOT _result EQUAL 0)
  message(FATAL_ERROR "cargo failed (${_result}): ${CARGO} ${_cargo_args}")
endif()

# rustc prints e.g. "note: native-static-libs: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc".
if(_stderr MATCHES "native-static-libs: ([^\r\n]*)")
  string(STRIP "${CMAKE_MATCH_1}" _native_libs)
  set(_old_native_libs "")
  if(EXISTS "${NATIVE_LIBS_FILE}")
    file(STRINGS "${NATIVE_LIBS_FILE}" _old_native_libs LIMIT_COUNT 1)
  endif()
  if(NOT _old_native_libs STREQUAL _native_libs)
    file(WRITE "${NATIVE_LIBS_FILE}" "${_native_libs}\n")
  endif()
elseif(EXISTS "${NATIVE_LIBS_FILE}")
  file(STRINGS "${NATIVE_LIBS_FILE}" _native_libs LIMIT_COUNT 1)
else()
  message(FATAL_ERROR "rustc did not report the static library's native dependencies "
                      "(no 'native-static-libs:' note in cargo's output); remove ${TARGET_DIR} and rebuild")
endif()

# The pkg-config form is the flags verbatim; the CMake form is a list of library names and flags for
# INTERFACE_LINK_LIBRARIES ("-lm" becomes "m", anything else, e.g. "-framework Security", stays a flag).
separate_arguments(_native_list UNIX_COMMAND "${_native_libs}")
set(_cmake_libs "")
set(_previous "")
foreach(_item IN LISTS _native_list)
  if(_previous STREQUAL "-framework")
    list(POP_BACK _cmake_libs)
    list(APPEND _cmake_libs "-framework ${_item}")
  elseif(_item MATCHES "^-l(.+)$")
    list(APPEND _cmake_libs "${CMAKE_MATCH_1}")
  else()
    list(APPEND _cmake_libs "${_item}")
  endif()
  set(_previous "${_item}")
endforeach()

set(NUMCODECS_NATIVE_STATIC_LIBS "${_native_libs}")
set(NUMCODECS_NATIVE_STATIC_LIBS_CMAKE "${_cmake_libs}")
set(NUMCODECS_VERSION "${VERSION}")
set(NUMCODECS_DESCRIPTION "${DESCRIPTION}")
set(NUMCODECS_LIBDIR "${LIBDIR}")
set(NUMCODECS_INCLUDEDIR "${INCLUDEDIR}")
set(NUMCODECS_CONFIG_DIR_TO_PREFIX "${CONFIG_DIR_TO_PREFIX}")
set(NUMCODECS_PKGCONFIG_DIR_TO_PREFIX "${PKGCONFIG_DIR_TO_PREFIX}")
set(NUMCODECS_REALNAME "${REALNAME}")
set(NUMCODECS_SONAME "${SONAME}")
set(NUMCODECS_STATIC_NAME "${STATIC_NAME}")
# configure_file rewrites its output only when the content changes, so dependants do not rebuild needlessly.
configure_file("${CONFIG_TEMPLATE}" "${PACKAGE_DIR}/numcodecsConfig.cmake" @ONLY)
configure_file("${PKGCONFIG_TEMPLATE}" "${PACKAGE_DIR}/numcodecs.pc" @ONLY)

# Installed as symlinks: SONAME -> real file, development name -> SONAME.
foreach(_link IN ITEMS "${SONAME}:${REALNAME}" "${LINKNAME}:${SONAME}")
  string(REPLACE ":" ";" _pair "${_link}")
  list(GET _pair 0 _name)
  list(GET _pair 1 _target)
  file(CREATE_LINK "${_target}" "${PACKAGE_DIR}/${_name}" SYMBOLIC)
endforeach()
