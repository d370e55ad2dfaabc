-- MigrationTests: the outer folder of module "test".
CREATE TABLE migration_test_outer (id INTEGER PRIMARY KEY);
