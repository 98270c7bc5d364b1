// Types of the Sozialhilfe module's own API (budgets, decisions, money,
// approvals, checklist, goals) and its vocabularies; the casework types
// (persons, households, dossiers, journal, deadlines, documents, payment
// runs and bank files) are in
// casework/types.ts. Amounts are Rappen (integers), dates ISO yyyy-mm-dd.
export * from '../../casework/types';
import type { CaseState } from '../../casework/types';

export const CLOSURE_REASONS = ['work', 'insurance', 'moved', 'not_entitled', 'death', 'other'] as const;
export const CHECKLIST_CODES = ['id', 'residence_permit', 'rent_contract', 'income_proof', 'bank_statements',
  'health_insurance', 'assets_statement'] as const;
/** A record waiting for a team lead (GET /api/v1/approvals). */
export interface Pending {
  id: number; version: number; own: boolean; created_at: string;
  dossier: { id: number; number: string; client: { last_name: string; first_name: string } };
  created_by: { id: number; display_name: string | null };
  valid_from?: string; payment?: number; text?: string; amount?: number; dossier_state?: CaseState;
}
export interface PendingRun {
  id: number; month: string; version: number; own: boolean; created_at: string; lines: number; total: number;
  created_by: { id: number; display_name: string | null };
}
export interface Approvals { budgets: Pending[]; decisions: Pending[]; one_offs: Pending[]; payment_runs: PendingRun[] }
export type { Checklist } from '../../casework/types';
export interface Goal { id: number; title: string; measures: string | null; due_on: string; status: string; review_result: string | null; signed_on: string | null; version: number }
/** explain: in the client's language (as the decision); explains: both, for the reader. */
export interface BudgetLine { code: string; amount: number; explain: string; explains?: { de: string; fr: string } }
export interface Provenance { id?: number; name: string; version: string; sha256: string; scope: string; valid_from?: string }

export interface BudgetInput {
  valid_from: string; rent: number; kvg_premium: number; assets: number;
  sil?: { code: string; amount: number }[]; income?: { employment?: number; other?: number };
  integration_allowance?: number; rent_direct?: boolean;
  landlord?: { name: string; iban: string; street?: string; house_no?: string; postcode?: string; town: string; country: string };
}

export interface BudgetPreview {
  input: Record<string, unknown>;
  output: { need: number; income_counted: number; payment: number; lines: BudgetLine[] };
  provenance: Provenance[];
  rent_share?: { flat_rent: number; persons: number; flat_persons: number };
}

export interface Budget {
  id: number; dossier_id: number; valid_from: string; input: Record<string, unknown>;
  need: number; income_counted: number; payment: number; rent_direct: boolean;
  landlord: Record<string, string> | null; provenance: Provenance[]; status: string;
  created_by: number; approved_by: number | null; approved_at: string | null; created_at: string; version: number;
  created_by_name: string | null; approved_by_name: string | null;
  lines?: BudgetLine[];
}

export interface Decision {
  id: number; dossier_id: number; budget_id: number; language: string; status: string;
  drafted_by: { id: number; display_name: string }; approved_by: { id: number; display_name: string } | null;
  approved_at: string | null; document_id: number | null; created_at: string; version: number;
  revoked_by: { id: number; display_name: string | null } | null; revoked_at: string | null; revoke_reason: string | null;
  valid_from: string;
  /** Only in the answer to an approval: what it did. */
  effect?: 'support_started' | 'review_concluded' | 'support_continues'; dossier_state?: CaseState;
}


export interface LedgerEntry { id: number; booked_on: string; kind: string; amount: number; text: string; ref: string | null; created_at: string }
export interface Ledger { items: LedgerEntry[]; next: string | null; balance: number; claims_open: number }

export interface Creditor { name: string; iban: string; street?: string | null; house_no?: string | null; postcode?: string | null; town: string; country: string }
export interface OneOff {
  id: number; dossier_id: number; amount: number; text: string; creditor: Creditor | null; status: string;
  created_by: number; created_at: string; approved_by: number | null; approved_at: string | null; run_id: number | null; version: number;
  client?: string | null; created_by_name?: string | null; approved_by_name?: string | null;
}

export interface ClaimPlan {
  instalment: number; first_due: string; over: number; instalments: number; overdue: number; next: { due_on: string; amount: number } | null;
}
export interface Claim {
  id: number; dossier_id: number; amount: number; reason: string; instalment: number; reference: string; repaid: number; open: number;
  status: string; created_by: number; created_at: string; version: number; plan: ClaimPlan;
}
export interface Instalment { no: number; due_on: string; amount: number; paid: number; state: string }
export interface Repayment { id: number; amount: number; paid_on: string; source: string; bank_entry_id: number | null; created_by: { id: number; display_name: string | null }; created_at: string }
export interface ClaimDetail extends Claim { schedule: Instalment[]; repayments: Repayment[] }
