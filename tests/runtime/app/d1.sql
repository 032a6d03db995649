-- What `lunora migrate generate` produces for the global tables of this app (channels, users).
CREATE TABLE "channels" ("_id" TEXT PRIMARY KEY, "_creationTime" REAL NOT NULL, "name" TEXT NOT NULL, "topic" TEXT);
CREATE UNIQUE INDEX "channels__by_name" ON "channels" ("name");
CREATE TABLE "users" ("_id" TEXT PRIMARY KEY, "_creationTime" REAL NOT NULL, "name" TEXT, "subject" TEXT NOT NULL);
CREATE UNIQUE INDEX "users__by_subject" ON "users" ("subject");
