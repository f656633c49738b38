# Helpers shared by the libraries' tests, benchmarks and BPF programs.
include(GoogleTest)
find_package(GTest REQUIRED)

# ebpfaas_test(NAME SOURCES... [LIBS libs...]): a GoogleTest binary whose tests
# ctest lists one by one. A test that cannot run here (no kernel BPF, no
# namespaces) prints "SKIPPED: <why>" via GTEST_SKIP and counts as skipped.
function(ebpfaas_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES} ${T_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main Threads::Threads)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 120 PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED")
endfunction()

# ebpfaas_bpf_object(TARGET OUTPUT_DIR SOURCES... [DEFINES ...]): compiles BPF C
# the way users do (clang -O2 -g -target bpf) into OUTPUT_DIR/<name>.o and adds
# a custom target that builds them all. The object paths are returned in
# <TARGET>_OBJECTS.
function(ebpfaas_bpf_object target outdir)
  cmake_parse_arguments(B "" "" "SOURCES;DEFINES;INCLUDES" ${ARGN})
  set(objects)
  foreach(src ${B_SOURCES} ${B_UNPARSED_ARGUMENTS})
    get_filename_component(base ${src} NAME_WE)
    get_filename_component(abs ${src} ABSOLUTE)
    set(obj ${outdir}/${base}.o)
    set(defs)
    foreach(d ${B_DEFINES})
      list(APPEND defs -D${d})
    endforeach()
    set(incs)
    foreach(i ${B_INCLUDES})
      list(APPEND incs -I${i})
    endforeach()
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${outdir}
      COMMAND ${EBPFAAS_BPF_CLANG} -O2 -g -target bpf -Wall -Werror
              -I/usr/include/x86_64-linux-gnu ${incs} ${defs} -MD -MF ${obj}.d -c ${abs} -o ${obj}
      DEPENDS ${abs}
      DEPFILE ${obj}.d
      COMMENT "BPF ${base}.o"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${objects})
  set(${target}_OBJECTS ${objects} PARENT_SCOPE)
endfunction()
