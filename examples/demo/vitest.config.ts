import { project } from '../../vitest.shared.ts';

export default project('example-demo', { testTimeout: 120_000 });
