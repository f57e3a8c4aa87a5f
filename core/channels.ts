// The ways Nightshift reaches people and channels, written once: a playbook's `via` (page, and the
// approval extension) names one of VIAS; a posted message records which kind of channel carried it.

/** How a person is reached: `via:` of a page or an approval. */
export const VIAS = ['sms', 'voice', 'slack', 'email'] as const;
export type Via = (typeof VIAS)[number];

/** Every kind of channel a message can be posted to (a person's ways, and Teams channels). */
export const CHANNEL_KINDS = ['slack', 'teams', 'email', 'sms', 'voice'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
