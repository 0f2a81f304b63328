-- A receipt's number (receipt.Number): 12 digits printed beside the QR code, typed at a
-- kiosk when its camera cannot read the code. Only the SHA-256 of the number is kept, as for
-- tokens. Receipts issued before this migration have none (their tokens are not stored, so
-- their numbers cannot be derived): they open by QR code or short code as before. Numbers are
-- not unique (10^11 of them); a number more than one recent receipt has is refused as
-- ambiguous and the citizen scans or types the token instead.
ALTER TABLE receipts ADD COLUMN number_hash TEXT;
CREATE INDEX receipts_number ON receipts (number_hash) WHERE number_hash IS NOT NULL;
