# Tests for core/data/synthetic, included by this directory's CMakeLists.txt.
# fedcrm_data reads the generated files back as the silos will;
# fedcrm_common converts the example schemas from YAML.
fedcrm_test(data_synthetic_test
  SOURCES
    synthetic_csv_writer_test.cc
    synthetic_generator_test.cc
    synthetic_sampler_test.cc
  DEPS fedcrm_synthetic fedcrm_data fedcrm_common)
