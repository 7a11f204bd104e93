// The Lipschitz estimate's defaults, shared by the run form, the series page and the CLI.
import type { AttackNorm } from './contract.js';

/**
 * The reference (Wu and Yu's code) samples 50 x 1024 points per class pair at r = 5 (l2, MNIST
 * and CIFAR-10); Brink takes 128 points so that an estimate costs about 129 x 9 Jacobian rows per
 * sample. l_inf and l1 have no reference value: their radii are chosen to lie above the margins of
 * typical 28x28 and 32x32 classifiers (MNIST's usual l_inf budget 0.3, and l1 ~ 4 x l2).
 */
export const LIPSCHITZ_DEFAULT_SAMPLES = 128;
export const LIPSCHITZ_DEFAULT_RADIUS: Readonly<Record<AttackNorm, number>> = { linf: 0.3, l2: 5, l1: 20 };
