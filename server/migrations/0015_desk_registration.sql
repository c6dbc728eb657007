-- A card registered at the helpdesk by inserting it (issue 19): the nonce names the person
-- whose card it is to be, besides the console session that asked for it, so that the
-- card read with it is registered to that person only.
ALTER TABLE nonces ADD COLUMN target TEXT;
