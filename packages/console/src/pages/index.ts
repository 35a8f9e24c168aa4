// Every area of the console, in navigation order. Adding an area: one import and one entry below
// (see packages/console/CONVENTIONS.md).
import type { Area } from "../app/routes";
import { activationsArea } from "./activations";
import { auditArea } from "./audit";
import { automationArea } from "./automation";
import { changeArea } from "./change";
import { iamArea } from "./iam";
import { operationsArea } from "./operations";
import { documentsArea } from "./documents";
import { fleetArea } from "./fleet";
import { homeArea } from "./home";
import { parametersArea } from "./parameters";
import { runCommandArea } from "./run-command";
import { sessionsArea } from "./sessions";

export const areas: Area[] = [
  homeArea,
  fleetArea,
  sessionsArea,
  runCommandArea,
  documentsArea,
  parametersArea,
  activationsArea,
  changeArea,
  automationArea,
  operationsArea,
  iamArea,
  auditArea,
];
