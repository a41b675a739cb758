/** Typed keys of the search attributes listed in `contract/definitions.ts`. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const INCIDENT_CLASS_KEY = defineSearchAttributeKey('IncidentClass', SearchAttributeType.KEYWORD);
export const INCIDENT_SEVERITY_KEY = defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD);
export const INCIDENT_PHASE_KEY = defineSearchAttributeKey('IncidentPhase', SearchAttributeType.KEYWORD);
