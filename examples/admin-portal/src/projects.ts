/** The host product's projects. A real portal has its own; Keyturn only ever sees their ids. */
export interface Project {
  id: string;
  name: string;
  description: string;
}

export const PROJECTS: readonly Project[] = [
  { id: "acme-web", name: "Acme Web", description: "Marketing site and web shop analytics." },
  { id: "acme-mobile", name: "Acme Mobile", description: "iOS and Android app analytics." },
];

export function findProject(id: string): Project | undefined {
  return PROJECTS.find((project) => project.id === id);
}
