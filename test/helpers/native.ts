// Whether the native addon is here, and the visible reason when tests that need it skip.
import { loadNativeAddon } from '../../src/io/native-addon.js';

export const addonLoad = loadNativeAddon();
export const addon = addonLoad.addon;
export const hasAddon = addon !== null;
export const NEEDS_ADDON = hasAddon ? 'native addon' : `native addon — SKIPPED: ${addonLoad.error}`;
