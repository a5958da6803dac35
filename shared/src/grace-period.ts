/** The longest an old credential may keep working after a rotation: 7 days. */
export const MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 60 * 60;
