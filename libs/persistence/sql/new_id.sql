-- tether_new_id(): a new row id, time-ordered — a UUID version 7 (RFC 9562): the first 48 bits are the Unix time in
-- milliseconds (clock_timestamp(), the moment of the call), the rest random (gen_random_uuid()'s bits, with the
-- version nibble set to 7). Ids made later sort after ids made earlier (within one millisecond their order is
-- random), so a new row's key lands on the right edge of its primary-key index, and the recent pages every
-- lifecycle reads and updates (the contact, its offers, its webhooks) stay in PostgreSQL's cache however large the
-- history grows; a random (version 4) key sends each insert and each lookup to any page of an index that, with a
-- million contacts, no longer fits in shared_buffers. (PostgreSQL 18 has uuidv7(); this runs on 15 and later.)
--
-- Outcome: a uuid; no codes. VOLATILE.
-- Locks: none.
-- LANGUAGE sql, so PostgreSQL checks the body when the file is applied; it uses nothing but built-ins.

CREATE OR REPLACE FUNCTION tether_new_id() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $fn$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
$fn$;

-- Every id Tether makes is one (the tables' own default was gen_random_uuid(); rows written before keep theirs).
ALTER TABLE agents ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE customers ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE contacts ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE offers ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE outbound_webhooks ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE cases ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE transfers ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE incidents ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE callbacks ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE messages ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE surveys ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE users ALTER COLUMN id SET DEFAULT tether_new_id();
ALTER TABLE user_tokens ALTER COLUMN id SET DEFAULT tether_new_id();
