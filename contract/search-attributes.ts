/** Typed keys of the search attributes listed in `definitions.ts` (names written once, there). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from './definitions';

const keyword = (name: keyof typeof SEARCH_ATTRIBUTES) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);

export const INCIDENT_CLASS_KEY = keyword('IncidentClass');
export const INCIDENT_SEVERITY_KEY = keyword('IncidentSeverity');
export const INCIDENT_PHASE_KEY = keyword('IncidentPhase');
export const INCIDENT_MODE_KEY = keyword('IncidentMode');
