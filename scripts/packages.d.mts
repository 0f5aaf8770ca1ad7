export const ROOT: string;
export interface PublicPackage {
  name: string;
  version: string;
  dir: string;
}
export function publicPackages(): PublicPackage[];
export function pnpmCommand(): string[];
export function packPackages(destination: string, packages?: PublicPackage[]): Array<PublicPackage & { tarball: string }>;
