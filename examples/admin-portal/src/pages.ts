import type { Account } from "./demo-accounts";
import { html, type Html } from "./html";
import type { Project } from "./projects";

const ASSETS = "/portal/assets";

interface LayoutOptions {
  title: string;
  user?: Account | undefined;
  body: Html;
  /** Extra tags for <head>, e.g. the security page's script. */
  head?: Html;
}

function layout({ title, user, body, head }: LayoutOptions): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Acme Analytics</title>
        <link rel="icon" href="${ASSETS}/favicon.svg" />
        <link rel="stylesheet" href="${ASSETS}/portal.css" />
        ${head}
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="topbar">
          <a class="brand" href="/projects">Acme Analytics <span>Admin Portal</span></a>
          ${
            user
              ? html`<nav class="topnav" aria-label="Main"><a href="/projects">Projects</a></nav>
                  <div class="account">
                    <span class="account-name">${user.name}</span>
                    <form method="post" action="/logout">
                      <button class="link-button" type="submit">Sign out</button>
                    </form>
                  </div>`
              : null
          }
        </header>
        <main id="main" class="page">${body}</main>
        <footer class="footer">
          A demo host portal: it signs people in and embeds the Keyturn widget exactly as your portal would.
          <a href="/graphql">GraphQL playground</a>
        </footer>
      </body>
    </html>`;
}

export function loginPage({ error, email }: { error?: string; email?: string }): Html {
  return layout({
    title: "Sign in",
    body: html`<section class="login" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to the Admin Portal</h1>
      <p class="muted">Use your administrator credentials.</p>
      ${error ? html`<p class="form-error" role="alert">${error}</p>` : null}
      <form method="post" action="/login" class="stack">
        <label class="field">
          <span>Email</span>
          <input name="email" type="email" autocomplete="username" required value="${email ?? ""}" />
        </label>
        <label class="field">
          <span>Password</span>
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button class="button primary" type="submit">Sign in</button>
      </form>
      <aside class="demo-accounts" aria-label="Demo accounts">
        <h2>Demo accounts</h2>
        <dl>
          <dt>Administrator</dt>
          <dd><code>admin@acme.test</code> / <code>keyturn-admin</code></dd>
          <dt>Viewer</dt>
          <dd><code>viewer@acme.test</code> / <code>keyturn-viewer</code></dd>
        </dl>
      </aside>
    </section>`,
  });
}

export function projectsPage(user: Account, projects: readonly Project[]): Html {
  return layout({
    title: "Projects",
    user,
    body: html`<h1>Projects</h1>
      <p class="muted">Choose a project to manage its settings.</p>
      <ul class="cards">
        ${projects.map(
          (project) =>
            html`<li class="card">
              <h2><a href="/projects/${project.id}/settings">${project.name}</a></h2>
              <p class="muted">${project.description}</p>
              <p class="role">Your role: ${user.roles[project.id] === "admin" ? "Administrator" : "Viewer"}</p>
            </li>`,
        )}
      </ul>`,
  });
}

type Tab = "general" | "security";

function projectShell(user: Account, project: Project, tab: Tab, content: Html, head?: Html): Html {
  const tabLink = (id: Tab, path: string, label: string) =>
    html`<a href="/projects/${project.id}/${path}" ${id === tab ? html`aria-current="page"` : null}>${label}</a>`;
  return layout({
    title: `${tab === "security" ? "Security" : "Settings"} · ${project.name}`,
    user,
    head,
    body: html`<nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/projects">Projects</a> <span aria-hidden="true">/</span> <span>${project.name}</span>
      </nav>
      <h1>${project.name} settings</h1>
      <nav class="tabs" aria-label="Project settings">
        ${tabLink("general", "settings", "General")}${tabLink("security", "security", "Security")}
      </nav>
      ${content}`,
  });
}

export function generalPage(user: Account, project: Project): Html {
  return projectShell(
    user,
    project,
    "general",
    html`<section class="panel" aria-labelledby="general-title">
      <h2 id="general-title">General</h2>
      <dl class="facts">
        <dt>Name</dt>
        <dd>${project.name}</dd>
        <dt>Project ID</dt>
        <dd><code>${project.id}</code></dd>
        <dt>Description</dt>
        <dd>${project.description}</dd>
      </dl>
    </section>`,
  );
}

export function securityPage(user: Account, project: Project): Html {
  return projectShell(
    user,
    project,
    "security",
    html`<p class="muted">API secrets authenticate requests to the Analytics API for this project.</p>
      <div id="api-secret-section" data-project-id="${project.id}">
        <noscript>The API Secret section needs JavaScript.</noscript>
      </div>
      <section class="panel" aria-labelledby="try-title">
        <h2 id="try-title">Try your credentials</h2>
        <p class="muted">
          Sends <code>GET /analytics/v1/report</code> with your Key ID and secret as HTTP Basic credentials, the way
          your applications will.
        </p>
        <div id="try-it" data-project-id="${project.id}"></div>
      </section>`,
    html`<link rel="stylesheet" href="${ASSETS}/security.css" />
      <script type="module" src="${ASSETS}/security.js"></script>`,
  );
}

export function errorPage(user: Account | undefined, status: number, message: string): Html {
  return layout({
    title: status === 404 ? "Not found" : "No access",
    user,
    body: html`<h1>${status === 404 ? "Not found" : "No access"}</h1>
      <p>${message}</p>
      <p><a href="/projects">Back to projects</a></p>`,
  });
}
