// Sign-in, sign-out, confirmation and error pages.
import { exact, html, type Html } from '../html';
import { page } from '../layout';
import type { Role, Viewer } from '../model';
import { PATHS } from '../paths';

export function messagePage(
  title: string,
  text: string | Html,
  opts: { viewer?: Viewer; signIn?: boolean } = {},
): Html {
  return page(
    { title, viewer: opts.viewer },
    html`<h1>${title}</h1>
      <p>${text}</p>
      ${opts.signIn ? html`<p><a class="button" href="${PATHS.inbox}">Sign in</a></p>` : ''}`,
  );
}

/**
 * The one-time link's landing page: the link holder (the operator who started Nightshift, who also holds
 * its API token) picks who they are among the people of nightshift.yaml that have a console role.
 */
export function chooseIdentityPage(
  token: string,
  people: Array<{ id: string; name: string; role: Role }>,
): Html {
  return page(
    { title: 'Sign in' },
    html`<h1>Sign in to Nightshift</h1>
      <p>This one-time link signs you in once. Who are you?</p>
      ${
        people.length
          ? html`<ul class="choices">
              ${people.map(
                (p) =>
                  html`<li>
                    <form method="post" action="${PATHS.signIn}" class="inline">
                      <input type="hidden" name="t" value="${token}" /><input
                        type="hidden"
                        name="person"
                        value="${p.id}"
                      />
                      <button type="submit">
                        ${p.name} <span class="role role-${p.role}">${p.role}</span>
                      </button>
                    </form>
                  </li>`,
              )}
            </ul>`
          : html`<p class="flash bad">
              Nobody in nightshift.yaml has a console role (see <code>roles:</code>).
            </p>`
      }`,
  );
}

/** Without the script, a confirmed action takes this second step (the same form, confirmed). */
export function confirmPage(
  viewer: Viewer,
  action: string,
  question: string,
  fields: Record<string, string>,
): Html {
  return page(
    { title: 'Confirm', viewer },
    html`<h1>Confirm</h1>
      <p class="question">${question}</p>
      <form method="post" action="${action}" class="inline">
        <input type="hidden" name="_csrf" value="${viewer.csrf}" />
        ${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${exact(v)}" />`)}
        <input type="hidden" name="confirmed" value="1" />
        <button type="submit" class="primary">Confirm</button>
      </form>
      <a href="${PATHS.inbox}">Cancel</a>`,
  );
}
