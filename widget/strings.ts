// Every word the widget shows, per locale; a tenant overrides any of them per locale in its
// settings (appearance.strings). The locale is the first of the browser's languages we have.
export const STRINGS = {
  en: {
    launcher: "Chat with us",
    close: "Close chat",
    title: "Chat",
    greeting: "Hi! How can we help?",
    placeholder: "Write a message…",
    send: "Send",
    attach: "Attach a file",
    sending: "Sending…",
    sent: "Sent",
    seen: "Seen",
    failed: "Not sent. Tap to retry.",
    typing: "Support is typing…",
    online: "We're online",
    viewing: "An agent is looking at your conversation",
    offline: "No one is online right now.",
    outsideHours: "We're outside our business hours.",
    leaveEmail: "Leave your email and we'll follow up.",
    emailPlaceholder: "you@example.com",
    saveEmail: "Notify me",
    emailSaved: "Thanks! We'll reply to {email}.",
    uploading: "Uploading {name}… {percent}%",
    uploadFailed: "Could not upload {name}.",
    reconnecting: "Reconnecting…",
    tooLong: "That message is too long ({max} characters at most).",
    notAllowed: "This chat is not available on this site.",
    verifiedOnly: "Please sign in to chat with us.",
    unavailable: "The chat is unavailable right now. Please try again later.",
    suggested: "These articles may help:",
  },
  "pt-BR": {
    launcher: "Fale conosco",
    close: "Fechar o chat",
    title: "Chat",
    greeting: "Olá! Como podemos ajudar?",
    placeholder: "Escreva uma mensagem…",
    send: "Enviar",
    attach: "Anexar um arquivo",
    sending: "Enviando…",
    sent: "Enviada",
    seen: "Vista",
    failed: "Não enviada. Toque para tentar de novo.",
    typing: "O suporte está digitando…",
    online: "Estamos online",
    viewing: "Um atendente está vendo sua conversa",
    offline: "Ninguém está online agora.",
    outsideHours: "Estamos fora do horário de atendimento.",
    leaveEmail: "Deixe seu e-mail e responderemos.",
    emailPlaceholder: "voce@exemplo.com",
    saveEmail: "Avise-me",
    emailSaved: "Obrigado! Responderemos para {email}.",
    uploading: "Enviando {name}… {percent}%",
    uploadFailed: "Não foi possível enviar {name}.",
    reconnecting: "Reconectando…",
    tooLong: "Mensagem longa demais (no máximo {max} caracteres).",
    notAllowed: "Este chat não está disponível neste site.",
    verifiedOnly: "Entre na sua conta para conversar conosco.",
    unavailable: "O chat está indisponível agora. Tente mais tarde.",
    suggested: "Estes artigos podem ajudar:",
  },
  es: {
    launcher: "Chatea con nosotros",
    close: "Cerrar el chat",
    title: "Chat",
    greeting: "¡Hola! ¿En qué podemos ayudarte?",
    placeholder: "Escribe un mensaje…",
    send: "Enviar",
    attach: "Adjuntar un archivo",
    sending: "Enviando…",
    sent: "Enviado",
    seen: "Visto",
    failed: "No enviado. Toca para reintentar.",
    typing: "Soporte está escribiendo…",
    online: "Estamos en línea",
    viewing: "Un agente está viendo tu conversación",
    offline: "No hay nadie en línea ahora.",
    outsideHours: "Estamos fuera del horario de atención.",
    leaveEmail: "Déjanos tu correo y te responderemos.",
    emailPlaceholder: "tu@ejemplo.com",
    saveEmail: "Avísame",
    emailSaved: "¡Gracias! Responderemos a {email}.",
    uploading: "Subiendo {name}… {percent}%",
    uploadFailed: "No se pudo subir {name}.",
    reconnecting: "Reconectando…",
    tooLong: "El mensaje es demasiado largo (máximo {max} caracteres).",
    notAllowed: "Este chat no está disponible en este sitio.",
    verifiedOnly: "Inicia sesión para chatear con nosotros.",
    unavailable: "El chat no está disponible ahora. Inténtalo más tarde.",
    suggested: "Estos artículos pueden ayudarte:",
  },
} as const;

export type Locale = keyof typeof STRINGS;
export type StringKey = keyof (typeof STRINGS)["en"];

/** The first of the browser's languages we speak: exact (pt-BR), then by language (pt-PT → pt-BR), else English. */
export function pickLocale(languages: readonly string[], available: readonly string[] = Object.keys(STRINGS)): string {
  for (const language of languages) {
    const exact = available.find((candidate) => candidate.toLowerCase() === language.toLowerCase());
    if (exact) return exact;
    const base = language.split("-")[0]!.toLowerCase();
    const sameLanguage = available.find((candidate) => candidate.split("-")[0]!.toLowerCase() === base);
    if (sameLanguage) return sameLanguage;
  }
  return "en";
}

export type Overrides = Partial<Record<string, Partial<Record<string, string>>>>;

/** A translator for one locale: tenant overrides first, then our strings, then English; `{name}` placeholders filled. */
export function translator(locale: string, overrides: Overrides = {}) {
  const ours = (STRINGS as Record<string, Record<string, string>>)[locale] ?? STRINGS.en;
  return (key: StringKey, values: Record<string, string | number> = {}): string => {
    const text = overrides[locale]?.[key] ?? ours[key] ?? STRINGS.en[key];
    return text.replace(/\{(\w+)\}/g, (_match, name: string) => String(values[name] ?? ""));
  };
}
