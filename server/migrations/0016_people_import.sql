-- The bulk import from the HR export (SPEC §7b) brings each person's English name beside
-- the Thai one the pages show (users.display_name).
ALTER TABLE users ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
