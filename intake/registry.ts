// The playbooks currently served: compiled from nightshift.yaml and playbooks/. A reload that finds a
// bad file refuses that file with its diagnostics and keeps serving the previous version of it.
import fs from 'node:fs';
import { loadProject, type Diagnostic } from '../compiler';
import type { OrgIR, PlaybookIR } from '../core/ir';

export interface LoadReport {
  ok: boolean;
  diagnostics: Diagnostic[];
  loaded: string[];
}

export class PlaybookRegistry {
  private org?: OrgIR;
  private byName = new Map<string, PlaybookIR>();

  constructor(
    private readonly configFile: string,
    private readonly playbookPaths: string[],
  ) {}

  get current(): { org?: OrgIR; playbooks: PlaybookIR[] } {
    return { org: this.org, playbooks: [...this.byName.values()] };
  }

  /** Loads everything again. Nothing already accepted is lost: a file that fails keeps its old version. */
  reload(): LoadReport {
    const res = loadProject({ config: this.configFile, paths: this.playbookPaths });
    const errors = res.diagnostics.filter((d) => d.severity === 'error');
    const orgBroken = errors.some((d) => d.file === this.configFile) || !res.org;
    if (orgBroken) {
      // Every playbook is checked against the org file: with it broken, keep everything as it was.
      return { ok: false, diagnostics: res.diagnostics, loaded: [] };
    }
    this.org = res.org;
    const badFiles = new Set(errors.map((d) => d.file));
    const next = new Map<string, PlaybookIR>();
    for (const pb of res.playbooks) next.set(pb.name, pb);
    // A playbook whose file now fails keeps its previous version.
    for (const [name, old] of this.byName) if (!next.has(name) && badFiles.has(old.file)) next.set(name, old);
    this.byName = next;
    return {
      ok: errors.length === 0,
      diagnostics: res.diagnostics,
      loaded: res.playbooks.map((p) => p.name),
    };
  }
}

/**
 * Reloads the registry when nightshift.yaml or a playbook changes (debounced: editors write files in
 * several steps). A bad file is refused with its diagnostics; the previous version keeps serving.
 */
export function watchPlaybooks(
  registry: PlaybookRegistry,
  paths: string[],
  onReload: (r: LoadReport) => void,
  debounceMs = 300,
): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const watchers = paths
    .filter((p) => fs.existsSync(p))
    .map((p) =>
      fs.watch(p, () => {
        clearTimeout(timer);
        timer = setTimeout(() => onReload(registry.reload()), debounceMs);
      }),
    );
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
