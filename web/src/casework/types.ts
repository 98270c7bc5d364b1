// Types of the casework API every module shares (core/casework/person.c,
// core/casework/document.c, the dossier, journal, deadline and work-list routes,
// payment runs and bank files of core/casework/money/).
// Amounts are Rappen (integers), dates ISO yyyy-mm-dd.

/** A dossier's state: a code of its module's dossier kind (ModuleContribution.states). */
export type CaseState = string;
export const MEMBER_ROLES = ['applicant', 'partner', 'child', 'other'] as const;

export const CIVIL_STATES = ['single', 'married', 'separated', 'divorced', 'widowed', 'registered_partnership',
  'dissolved_partnership', 'unknown'] as const;
export const PERMITS = ['B', 'C', 'Ci', 'F', 'G', 'L', 'N', 'S'] as const;

/** A dossier a person belongs to (as applicant or household member). */
export interface PersonDossier {
  id: number; module: string; state: CaseState; opened_on: string; closed_on: string | null; is_applicant: boolean;
  caseworker: { id: number; display_name: string } | null;
}

export interface PersonHit {
  id: number; last_name: string; first_name: string; birth_date: string; sex: string | null;
  has_ahv: boolean; postcode: string | null; town: string | null; version: number;
  dossiers?: PersonDossier[];
}

/** An address from valid_from (null: from when first recorded) to valid_to (exclusive). */
export interface Address {
  valid_from: string | null; valid_to: string | null; street: string | null; house_no: string | null;
  postcode: string | null; town: string | null; country: string; recorded_at: string;
}

export interface Person extends PersonHit {
  ahv?: string | null; nationality: string | null; permit: string | null; street: string | null;
  house_no: string | null; country: string; phone: string | null; email: string | null;
  language: 'de' | 'fr'; iban: string | null; created_at: string; civil_status: string | null;
  addresses?: Address[];
}

export interface DuplicateCandidate { id: number; name: string; last_name: string; first_name: string; birth_date: string }

export interface Member {
  id: number; person_id: number; last_name: string; first_name: string; birth_date: string;
  role: string; valid_from: string; valid_to: string | null;
}

export interface Household { id: number; name: string; flat_extra_persons: number; version: number; created_at: string; members: Member[] }

/** A member of a household being registered or joining one (POST /households, …/members). */
export interface MemberInput {
  person_id?: number; person?: Record<string, unknown>; role: string; valid_from: string; valid_to?: string; move?: boolean;
}

export interface PersonHousehold { member_id: number; household_id: number; name: string; role: string; valid_from: string; valid_to: string | null }

export interface Dossier {
  id: number; number: string; state: CaseState; household_id: number;
  /** The module whose dossier it is. */
  module?: string;
  applicant: { id: number; last_name: string; first_name: string; language: string };
  municipality: { bfs: number; name: string };
  caseworker: { id: number; display_name: string } | null;
  team: string | null; opened_on: string; closed_on: string | null; closure_reason: string | null;
  version: number; next_deadline: string | null; transferred_from: string | null;
  transitions: CaseState[];
  history?: { from: string; to: string; reason: string | null; reason_code: string | null; actor_id: number; actor: string | null; at: string }[];
  members?: { person_id: number; role: string; birth_date: string; last_name: string; first_name: string; age: number }[];
}

/** module: the module whose dossier it is (from the item, else the module that served the list). */
export interface WorkDeadline { id: number; due_on: string; kind: string; text: string; dossier_id: number; number: string; client: string; version: number; module?: string }
export interface WorkDossier {
  id: number; number: string; state: CaseState; last_name: string; first_name: string; opened_on: string;
  transferred_from: string | null; team?: string | null; module?: string;
}
export interface Worklist {
  due_today: WorkDeadline[]; overdue: WorkDeadline[]; open_dossiers: WorkDossier[]; newly_assigned: WorkDossier[];
  unassigned: WorkDossier[];
}

export interface Team { id: number; name: string; version: number; created_at: string; members: number; open_dossiers: number }
export interface TeamDetail extends Team { users: { id: number; display_name: string; active: boolean }[] }

export interface TransferTarget { slug: string; name: string; language: string; municipalities: { bfs: number; name: string }[] }

export interface JournalEntry {
  id: number; noted_on: string; category: string; text: string; author_id: number; author: string | null;
  protected: boolean; role_group: string; created_at: string;
}

export interface Deadline {
  id: number; due_on: string; kind: string; text: string; assignee_id: number | null; assignee: string | null;
  done_on: string | null; version: number; dossier_id: number;
}

export interface Doc {
  id: number; dossier_id: number; category: string; title: string; version_no: number; previous_id: number | null;
  mime: string; size: number; sha256: string; uploaded_by: number; uploaded_at: string; replaced_by: number | null; latest: boolean;
}

/** Payment runs and bank files (core/casework/money/): one run pays the lines
 *  of every module, a camt.054 file books what the bank reports. */
export interface RunSummary { lines: number; total: number; held: number; held_total: number; by_kind: Record<string, { count: number; total: number }>; by_status: Record<string, number> }
export interface PaymentRun {
  id: number; month: string; status: string; execution_date: string; created_by: number; created_at: string;
  approved_by: number | null; approved_at: string | null; message_id: string | null; exported_at: string | null;
  exported_by: number | null; file_sha256: string | null; version: number; computed_at: string; summary?: RunSummary;
}
export interface PaymentLine {
  id: number; dossier_id: number; kind: string; source_id: number; amount: number;
  /** The module whose dossier the line pays (its kind's words are the module's). */
  module?: string;
  creditor: { name: string; street: string | null; house_no: string | null; postcode: string | null; town: string | null; country: string | null; iban: string | null };
  text: string; end_to_end_id: string; status: string; problem: string | null; booked_on: string | null; return_reason: string | null;
  /** The month the line pays ("YYYY-MM"); null for one-off payments. */
  for_month: string | null;
}
export interface RunDetail extends PaymentRun { lines: PaymentLine[]; next: string | null }

export interface Unmatched {
  id: number; position: number; cdi: string; status: string; amount: number; currency: string; booking_date: string;
  end_to_end_id: string | null; reference: string | null; return_reason: string | null; reason: string | null;
  outcome: string; line_id: number | null; claim_id: number | null; module?: string | null;
}
export interface BankFile {
  id: number; sha256: string; account: string | null; entries: number; booked: number; returned: number; repayments: number; received?: number;
  pending: number; duplicates: number; unmatched: number; uploaded_by: { id: number; display_name: string | null }; uploaded_at: string;
}
export interface Reconciliation {
  file_sha256: string; file: BankFile & { already_imported: boolean }; entries: number; matched: number; booked: number;
  returned: number; repayments: number; received?: number; pending: number; duplicates: number; unmatched_count: number; unmatched: Unmatched[];
  matched_entries: Unmatched[];
}
export interface BankEntry {
  id: number; file_id: number; cdi: string; amount: number; currency: string; status: string; booking_date: string | null;
  end_to_end_id: string | null; reference: string | null; return_reason: string | null; outcome: string; reason: string | null;
  line_id: number | null; claim_id: number | null; uploaded_at: string; version: number;
  matched_by: { id: number; display_name: string | null } | null; matched_at: string | null; module?: string | null;
  match: { dossier_id: number; name: string | null; run_month: string | null; for_month: string | null; claim_reference: string | null } | null;
}
export interface BankFileDetail extends BankFile { items: BankEntry[]; next: string | null }
export interface Candidate {
  id: number; type: 'line' | 'claim'; dossier_id: number; amount: number; name: string | null; end_to_end_id: string | null;
  run_month: string | null; for_month: string | null; reference: string | null; status: string | null;
}

/** A dossier's checklist (GET /cases/{id}/checklist). */
export interface Checklist { items: { code: string; received_on: string | null; note: string | null }[]; missing: string[]; version: number }
