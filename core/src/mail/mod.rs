//! E-mail: one port, two adapters chosen by configuration — [`ResendMailer`] (Resend's HTTP
//! API) when `RESEND_API_KEY` is set, else [`LogMailer`] (the message goes to the log, which is
//! what local development wants).
//!
//! [`password_reset_email`] is the reference's Spanish password-reset message (api.md R5).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;

use crate::config::{Config, ResendSettings};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot send e-mail: {0}")]
pub struct MailError(pub String);

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}

/// The mailer for this configuration.
pub fn from_config(config: &Config) -> Result<Arc<dyn Mailer>, MailError> {
    Ok(match &config.resend {
        Some(settings) => Arc::new(ResendMailer::new(settings.clone())?),
        None => Arc::new(LogMailer),
    })
}

// Resend's timeouts, stated once (docs/architecture.md, "Timeouts"). The caller is the API's
// forgot-password route, inside API Gateway's 29 s; a failure is logged, never told.

/// Opening a connection to the API: 5 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One request, answer included: 10 s, so the route still answers well inside the 29 s.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Resend: `POST <RESEND_BASE_URL>/emails` with the API key as a bearer token.
pub struct ResendMailer {
    http: reqwest::Client,
    settings: ResendSettings,
}

impl ResendMailer {
    pub fn new(settings: ResendSettings) -> Result<Self, MailError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| MailError(e.to_string()))?;
        Ok(ResendMailer { http, settings })
    }
}

#[async_trait]
impl Mailer for ResendMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let url = format!(
            "{}/emails",
            self.settings.base_url.as_str().trim_end_matches('/')
        );
        let resp = self
            .http
            .post(&url)
            .bearer_auth(&self.settings.api_key)
            .json(&json!({
                "from": self.settings.from_email,
                "to": [email.to],
                "subject": email.subject,
                "html": email.html,
                "text": email.text,
            }))
            .send()
            .await
            .map_err(|e| {
                MailError(if e.is_timeout() {
                    format!("POST {url}: timed out")
                } else {
                    format!("POST {url}: {e}")
                })
            })?;
        if resp.status().is_success() {
            Ok(())
        } else {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            Err(MailError(format!(
                "Resend answered {status}: {}",
                body.chars().take(300).collect::<String>()
            )))
        }
    }
}

/// Writes messages to the log (target `mail`), for local use.
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        tracing::info!(target: "mail", to = %email.to, subject = %email.subject, text = %email.text, "e-mail (not sent: RESEND_API_KEY is not set)");
        Ok(())
    }
}

/// Subject of the password-reset message (reference, verbatim).
pub const PASSWORD_RESET_SUBJECT: &str = "Recupera tu contraseña — SuperProfes";

/// The password-reset message: the link to `reset_url`, valid for `minutes`.
pub fn password_reset_email(to: &str, reset_url: &str, minutes: u32) -> Email {
    let origin = url::Url::parse(reset_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| reset_url.to_owned());
    let link = html_escape(reset_url);
    let origin_html = html_escape(&origin);
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="es">
  <body style="margin:0;padding:0;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933;">
    <table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="padding:24px 0;">
      <tr><td align="center">
        <table role="presentation" width="560" cellspacing="0" cellpadding="0" style="background:#ffffff;border-radius:8px;overflow:hidden;">
          <tr><td style="background:#4f46e5;padding:20px 32px;color:#ffffff;font-size:22px;font-weight:bold;">SuperProfes</td></tr>
          <tr><td style="padding:32px;">
            <h1 style="margin:0 0 16px;font-size:22px;">Recupera tu contraseña</h1>
            <p style="margin:0 0 16px;line-height:1.5;">Recibimos una solicitud para restablecer la contraseña de tu cuenta. Haz clic en el botón para elegir una nueva contraseña.</p>
            <p style="margin:24px 0;text-align:center;">
              <a href="{link}" style="background:#4f46e5;color:#ffffff;text-decoration:none;padding:12px 24px;border-radius:6px;display:inline-block;font-weight:bold;">Resetear Contraseña</a>
            </p>
            <p style="margin:0 0 16px;line-height:1.5;">Este enlace es válido por {minutes} minutos y solo se puede usar una vez.</p>
            <p style="margin:0 0 16px;line-height:1.5;color:#7b8794;">Si no solicitaste este cambio, ignora este correo: tu contraseña seguirá siendo la misma. Nunca compartas este enlace con nadie.</p>
            <p style="margin:0;line-height:1.5;font-size:13px;color:#7b8794;">Si el botón no funciona, copia y pega este enlace en tu navegador:<br><a href="{link}" style="color:#4f46e5;word-break:break-all;">{link}</a></p>
          </td></tr>
          <tr><td style="padding:16px 32px;background:#f9fafb;font-size:12px;color:#9aa5b1;text-align:center;">© 2026 SuperProfes. Educación matemática adaptativa.<br><a href="{origin_html}" style="color:#9aa5b1;">{origin_html}</a></td></tr>
        </table>
      </td></tr>
    </table>
  </body>
</html>
"#
    );
    let text = format!(
        "SuperProfes\n\nRecupera tu contraseña\n\nRecibimos una solicitud para restablecer la contraseña de tu cuenta. \
         Abre este enlace para elegir una nueva contraseña:\n\n{reset_url}\n\n\
         El enlace es válido por {minutes} minutos y solo se puede usar una vez.\n\n\
         Si no solicitaste este cambio, ignora este correo: tu contraseña seguirá siendo la misma.\n\n\
         © 2026 SuperProfes. Educación matemática adaptativa.\n{origin}\n"
    );
    Email {
        to: to.to_owned(),
        subject: PASSWORD_RESET_SUBJECT.to_owned(),
        html,
        text,
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_email_carries_the_link_and_its_validity() {
        let e = password_reset_email(
            "a@b.co",
            "https://app.example.com/auth/reset?token=abc&x=1",
            15,
        );
        assert_eq!(e.subject, "Recupera tu contraseña — SuperProfes");
        assert!(
            e.html
                .contains("https://app.example.com/auth/reset?token=abc&amp;x=1")
        );
        assert!(e.html.contains("Resetear Contraseña") && e.html.contains("15 minutos"));
        assert!(
            e.text
                .contains("https://app.example.com/auth/reset?token=abc&x=1")
        );
        assert!(e.text.contains("https://app.example.com\n"));
    }
}
