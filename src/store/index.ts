export { Ledger, type LedgerEntry, type Refusal, type RefusalCount } from './ledger';
