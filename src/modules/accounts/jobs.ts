// The names of the account emails' jobs (graphile-worker task identifiers) and their payloads.
export const EMAIL_JOBS = {
  welcome: "email.welcome",
  invitation: "email.invitation",
  passwordReset: "email.password_reset",
  passwordChanged: "email.password_changed",
} as const;

export interface WelcomeJob {
  tenantId: string;
  userId: string;
}
export interface InvitationJob {
  tenantId: string;
  invitationId: string;
}
export interface PasswordResetJob {
  tenantSlug: string;
  email: string;
}
export interface PasswordChangedJob {
  tenantId: string;
  userId: string;
}
