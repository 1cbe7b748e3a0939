// The vocabulary the seeded tickets are written in. Three tiers, so full-text search meets the
// skewed word frequencies of real support mail:
// - COMMON: support-desk words drawn with a Zipf-like law (the first is about 12% of all words,
//   the last about 0.05%), so some appear in most tickets and the tail in a few percent;
// - FEATURES: about 40% of tickets name one product area, so each is in roughly 1% of tickets;
// - INTEGRATIONS: about 10% of tickets name one third-party system, so each is in ~0.1%.
// Order matters in COMMON: earlier words are drawn more often.

export const COMMON: readonly string[] = [
  "issue", "customer", "error", "account", "please", "problem", "order", "user", "help", "update",
  "login", "page", "email", "payment", "working", "request", "system", "access", "data", "report",
  "time", "team", "today", "stuck", "support", "change", "still", "website", "password", "app",
  "message", "screen", "button", "file", "settings", "invoice", "question", "client", "service", "option",
  "version", "shows", "failed", "missing", "slow", "urgent", "broken", "unable", "receive", "refund",
  "subscription", "plan", "upgrade", "price", "charge", "card", "billing", "download", "upload", "export",
  "import", "sync", "delete", "create", "edit", "save", "open", "close", "click", "load",
  "browser", "mobile", "desktop", "phone", "tablet", "android", "iphone", "chrome", "firefox", "safari",
  "network", "server", "connection", "timeout", "crash", "freeze", "blank", "wrong", "incorrect", "duplicate",
  "notification", "alert", "warning", "reminder", "schedule", "calendar", "meeting", "deadline", "delivery", "shipping",
  "tracking", "address", "contact", "profile", "name", "company", "organization", "member", "role", "permission",
  "admin", "manager", "agent", "colleague", "department", "office", "location", "region", "country", "language",
  "translation", "currency", "tax", "discount", "coupon", "credit", "balance", "statement", "receipt", "quote",
  "contract", "renewal", "cancel", "chargeback", "trial", "license", "seat", "usage", "limit", "quota",
  "storage", "backup", "restore", "recovery", "migration", "integration", "webhook", "token", "key", "certificate",
  "security", "privacy", "compliance", "audit", "policy", "terms", "consent", "verification", "code", "link",
  "attachment", "image", "photo", "video", "document", "spreadsheet", "template", "form", "field", "column",
  "table", "chart", "graph", "dashboard", "widget", "filter", "search", "result", "list", "view",
  "layout", "theme", "font", "color", "logo", "banner", "header", "footer", "menu", "sidebar",
  "tab", "window", "popup", "dialog", "modal", "tooltip", "icon", "checkbox", "dropdown", "slider",
  "keyboard", "mouse", "printer", "scanner", "camera", "microphone", "speaker", "headset", "monitor", "laptop",
  "battery", "charger", "cable", "router", "wifi", "bluetooth", "firmware", "driver", "patch", "release",
  "beta", "feature", "roadmap", "feedback", "suggestion", "complaint", "escalation", "priority", "severity", "outage",
  "incident", "maintenance", "downtime", "latency", "performance", "memory", "disk", "cpu", "database", "query",
  "index", "cache", "queue", "job", "batch", "cron", "script", "automation", "workflow", "rule",
  "trigger", "condition", "action", "macro", "shortcut", "hotkey", "gesture", "scroll", "zoom", "resize",
  "blurry", "pixelated", "flicker", "glitch", "lag", "stutter", "echo", "noise", "static", "distortion",
  "sandbox", "staging", "production", "deployment", "rollback", "hotfix", "changelog", "manual", "tutorial", "onboarding",
  "training", "webinar", "workshop", "consultation", "demo", "evaluation", "procurement", "vendor", "partner", "reseller",
  "warranty", "replacement", "repair", "return", "exchange", "damaged", "defective", "leaking", "overheating", "rattling",
];

export const FEATURES: readonly string[] = [
  "ledger", "payroll", "timesheet", "expenses", "reconciliation", "forecast", "inventory", "warehouse", "fulfilment", "storefront",
  "checkout", "wishlist", "loyalty", "referral", "affiliate", "newsletter", "campaign", "personalisation", "helpdesk", "livechat",
  "chatbot", "knowledgebase", "portal", "kiosk", "timeclock", "dispatcher", "roster", "escrow", "quotation", "sourcing",
  "budgeting", "appraisal", "recruiting", "benefits", "telephony", "voicemail", "conferencing", "whiteboard", "annotation", "ocr",
];

export const INTEGRATIONS: readonly string[] = [
  "salesforce", "hubspot", "zendesk", "intercom", "slack", "ringcentral", "webex", "jira", "confluence", "trello",
  "asana", "notion", "airtable", "dropbox", "onedrive", "sharepoint", "gdrive", "gmail", "outlook", "icloud",
  "quickbooks", "xero", "sage", "netsuite", "stripe", "paypal", "adyen", "braintree", "square", "klarna",
  "shopify", "magento", "woocommerce", "bigcommerce", "prestashop", "mailchimp", "sendgrid", "mailgun", "twilio", "vonage",
  "okta", "auth0", "keycloak", "onelogin", "ldap", "saml", "azuread", "gsuite", "workday", "bamboohr",
  "greenhouse", "lever", "gusto", "adp", "docusign", "hellosign", "pandadoc", "calendly", "typeform", "surveymonkey",
  "segment", "mixpanel", "amplitude", "hotjar", "datadog", "sentry", "pagerduty", "opsgenie", "statuspage", "github",
  "gitlab", "bitbucket", "jenkins", "circleci", "heroku", "netlify", "vercel", "cloudflare", "fastly", "akamai",
  "snowflake", "bigquery", "redshift", "tableau", "looker", "metabase", "powerbi", "zapier", "workato", "ifttt",
  "freshdesk", "helpscout", "front", "pipedrive", "zoho", "monday", "clickup", "basecamp", "wrike", "smartsheet",
];

export const TAGS: readonly string[] = ["vip", "billing", "bug", "feature-request", "onboarding", "churn-risk", "enterprise", "mobile", "api", "sla"];

/** A title/description pair for POST /v1/tickets, in the same vocabulary. */
export function randomTicketBody(random: () => number = Math.random): { title: string; description: string } {
  const zipf = () => COMMON[Math.min(COMMON.length - 1, Math.floor(Math.exp(random() * Math.log(COMMON.length + 1))) - 1)]!;
  const words = (n: number) => Array.from({ length: n }, zipf).join(" ");
  const title = words(3 + Math.floor(random() * 6));
  const sentences = Array.from({ length: 2 + Math.floor(random() * 4) }, () => `${words(5 + Math.floor(random() * 8))}.`);
  if (random() < 0.4) sentences.push(`Area: ${FEATURES[Math.floor(random() * FEATURES.length)]}.`);
  return { title: title[0]!.toUpperCase() + title.slice(1), description: sentences.join(" ") };
}
