import { project } from '../../vitest.shared.ts';

export default project(`example-${import.meta.dirname.split('/').pop()}`, { testTimeout: 60_000 });
