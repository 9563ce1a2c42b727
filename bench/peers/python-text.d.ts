// The PyTorch peer scripts, imported as text (`with { type: 'text' }`) so that esbuild embeds them in a bundle.
declare module '*.py' {
  const source: string;
  export default source;
}
