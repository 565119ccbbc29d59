export { Ledger, type LedgerEntry } from './ledger';
