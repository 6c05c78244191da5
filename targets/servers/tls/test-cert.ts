// The test certificate lives with the engine (client mode's scripted server serves it too).
export { TEST_CERT, TEST_KEY } from '../../../harness/wire/test-cert.js';
