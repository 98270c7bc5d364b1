// Types of the Alimentenhilfe module's API (modules/alimente/ah_*.c).
// Amounts are Rappen per month (integers), dates ISO yyyy-mm-dd, months
// their first day.

export const TITLE_KINDS = ['judgment', 'decision', 'agreement'] as const;
export const CREDITOR_ROLES = ['child', 'spouse'] as const;

/** The maintenance title (GET /cases/{id}/title .title). */
export interface Title {
  id: number; dossier_id: number; title_kind: string; authority: string; decided_on: string;
  enforceable_on: string | null; applied_on: string; arrears_from: string | null; ends_on: string | null;
  /** The index clause: base points in tenths, base month, the month of the year the amount moves, rounding in Rappen. */
  index_base_points: number | null; index_base_month: string | null; index_month: number | null; index_rounding: number;
  family_allowances: boolean; debtor_id: number | null; debtor_employer: string | null; debtor_pension: string | null;
  /** The QR reference on the debtor's QR-bill. */
  debtor_reference: string | null; version: number;
}

export interface Debtor {
  person_id: number | null; name: string | null; birth_date?: string | null; street?: string | null; house_no?: string | null;
  postcode?: string | null; town?: string | null; country?: string | null; employer?: string | null; pension?: string | null;
  reference: string | null;
}

/** An age step: the amount the title fixes from valid_from to valid_to (exclusive). */
export interface TitleAmount { id?: number; valid_from: string; valid_to: string | null; amount: number; family_allowance: number }

export interface Creditor {
  id: number; person_id: number; name: string | null; birth_date: string; role: string; education_until: string | null;
  version: number; amounts: TitleAmount[];
}

export interface TitleAnswer { title: Title; debtor: Debtor; creditors: Creditor[] }

export interface ScheduleMonth {
  month: string; title_amount: number; family_allowance: number; due: number;
  /** How the amount was indexed (the pack alimente-index's inputs), null when not. */
  index: { base: number | null; points: number | null; rounding: number | null; month: string | null } | null;
  received: number; advanced: number; recovered: number; outstanding: number;
}
export interface ScheduleTotals { due: number; received: number; advanced: number; recovered: number; outstanding: number; arrears: number }
export interface ScheduleCreditor {
  creditor_id: number; person_id: number; name: string | null; role: string; months: ScheduleMonth[]; totals: ScheduleTotals;
}
export interface Schedule {
  dossier_id: number; current_month: string; reference: string | null; creditors: ScheduleCreditor[]; totals: ScheduleTotals;
}

/** What the pack alimente-advance answered (lines explain the amount). */
export interface AdvanceResult { eligible: boolean; amount: number; cap: number; lines: { code: string; amount: number; explain: string }[] }
export interface StaffRef { id: number; display_name: string }

/** An advance decision for one child from a month on (four eyes). */
export interface Advance {
  id: number; dossier_id: number; creditor_id: number;
  child: { first_name: string; last_name: string; birth_date: string };
  valid_from: string; valid_to: string | null; eligible: boolean; amount: number; cap: number;
  result: AdvanceResult | null; result_fr?: AdvanceResult | null;
  status: 'draft' | 'submitted' | 'approved' | 'rejected' | 'ended'; recheck_on: string | null;
  end_reason: string | null; reject_reason: string | null; created_at: string;
  created_by: StaffRef | null; submitted_by: StaffRef | null; submitted_at: string | null;
  approved_by: StaffRef | null; approved_at: string | null; version: number;
}

/** A debtor payment and its split (part: current, arrears, subrogated; month YYYY-MM). */
export interface Receipt {
  id: number; amount: number; received_on: string; source: 'bank' | 'manual'; bank_entry_id: number | null;
  allocated: number; surplus: number; debtor_name: string | null; note: string | null; created_by: number | null;
  created_at: string; parts: { id: number; creditor_id: number; month: string; part: string; amount: number }[];
}
export interface RecoveryRow { due: number; received: number; outstanding: number; advanced: number; recovered: number; community_cost: number }
/** Per creditor: what was due and received, advanced and recovered; the debtor's credit. */
export interface Recovery {
  dossier_id: number; paid: number; credit: number; totals: RecoveryRow;
  items: (RecoveryRow & { creditor_id: number; person_id: number; role: string; first_name: string; last_name: string; birth_date: string | null })[];
}

/** A debt enforcement proceeding with its steps (SchKG) and the fees advanced. */
export interface Enforcement {
  id: number; dossier_id: number; amount: number; office: string; started_on: string; reference: string | null;
  last_step: string | null; open: boolean; fees: number; version: number; created_at: string;
  steps: { id: number; step: string; date: string; fee: number | null; note: string | null }[];
}
/** A report of the debtor to his pension institution (InkHV 13-14). */
export interface PensionReport {
  id: number; dossier_id: number; institution: string; reported_on: string; missing_months: number;
  status: string; revoked_on: string | null; revoke_reason: string | null; revoke_note: string | null; version: number;
  payouts: { id: number; notified_on: string; amount: number; blocked_until: string; note: string | null }[];
}
export interface Complaint { id: number; dossier_id: number; filed_on: string; authority: string; note: string | null; created_at: string }

/** A reminder to the debtor (InkHV 12): what was outstanding, the deadline, the letter. */
export interface Reminder {
  id: number; dossier_id: number; level: number; issued_on: string; pay_by: string; amount: number;
  items: { creditor_id: number; first_name: string; last_name: string; month: string; outstanding: number }[];
  language: 'de' | 'fr'; document_id: number | null; journal_id: number | null; created_by: number;
  created_by_name: string | null; created_at: string;
}
