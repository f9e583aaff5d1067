import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Telephony providers: which platform a contact's call came through (`contacts.provider`: 'tether', the JSON
 * contract, or 'twilio', the Twilio Programmable Voice adapter), so the accept reaches that platform its own way
 * (a signed JSON callback, or a Twilio call update), and the public base URL of the line app the platform called
 * (`provider_base_url`: where a call Tether places for that contact reports its status); and where an agent's calls are bridged to on a platform that
 * dials agents itself (`agents.voice_endpoint`: a Twilio Client identity `client:<name>` or a SIP URI `sip:...`;
 * null: the Client identity is the agent's id).
 */
export class TelephonyProviders1764001900000 implements MigrationInterface {
  name = 'TelephonyProviders1764001900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE contacts ADD COLUMN provider text NOT NULL DEFAULT 'tether' CHECK (provider IN ('tether', 'twilio'));
      ALTER TABLE contacts ADD COLUMN provider_base_url text;
      ALTER TABLE agents ADD COLUMN voice_endpoint text
        CHECK (voice_endpoint ~ '^(client:[A-Za-z0-9_.@-]{1,120}|sip:[^\\s<>"]{3,250})$');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE agents DROP COLUMN voice_endpoint;
      ALTER TABLE contacts DROP COLUMN provider_base_url;
      ALTER TABLE contacts DROP COLUMN provider;
    `);
  }
}
