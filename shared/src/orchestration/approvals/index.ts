export type {
  ApprovalDecisionResult,
  ApprovalService,
  ApprovalStatus,
  ApprovalView,
} from './approval-service.ts';
export { createApprovalService, systemContext, toApprovalView } from './approval-service.ts';
export { createApprovalSweeper } from './sweeper.ts';
