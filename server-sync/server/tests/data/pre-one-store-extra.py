# Adds what seed-demo does not make, with the old release's own column formats: a holiday, a
# section exception, changed rule settings, a supervisor's decision on a record awaiting
# confirmation, corrections (leave, then its cancel) and their audit lines, a section override.
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
c = db.cursor()
now = 1764644400000  # 2025-12-02 03:00 UTC
c.execute("INSERT INTO dash_holidays (date, name) VALUES ('2025-12-25', 'Hari Raya Natal')")
c.execute("INSERT INTO dash_section_exceptions (section_id, date, hours, reason) VALUES ('BM', '2025-12-24', '07:30-12:00', 'Cuti bersama')")
for k, v in [("tolerance_office_min", "45"), ("late_bp_4", "200"), ("daily_cap_bp", "450")]:
    c.execute("INSERT OR REPLACE INTO dash_settings (key, value) VALUES (?, ?)", (k, v))
pending = [r[0] for r in c.execute("SELECT id FROM records WHERE decision = 'needs_confirmation' ORDER BY id LIMIT 2")]
assert len(pending) == 2, pending
c.execute("INSERT INTO dash_decisions (record_id, decision, reason, by_user, at_ms) VALUES (?, 'confirmed', 'Wajah sesuai', 'kabid.bm', ?)", (pending[0], now))
c.execute("INSERT INTO dash_decisions (record_id, decision, reason, by_user, at_ms) VALUES (?, 'rejected', 'Bukan orangnya', 'admin', ?)", (pending[1], now))
emp = c.execute("SELECT employee_id FROM employees ORDER BY employee_id LIMIT 1").fetchone()[0]
c.execute("INSERT INTO dash_corrections (employee_id, date, kind, reason, by_user, at_ms) VALUES (?, '2025-12-01', 'sakit', 'surat dokter', 'admin', ?)", (emp, now))
c.execute("INSERT INTO dash_corrections (employee_id, date, kind, reason, by_user, at_ms) VALUES (?, '2025-12-01', 'cancel', 'salah tanggal', 'admin', ?)", (emp, now))
c.execute("INSERT INTO dash_employee_sections (employee_id, section_id) VALUES (?, 'SDA')", (emp,))
for action, detail in [("holiday", "2025-12-25 Hari Raya Natal"), ("settings", "tolerance 45"), ("confirm_record", f"record {pending[0]}"), ("reject_record", f"record {pending[1]}"), ("correction", f"{emp} sakit"), ("correction", f"{emp} cancel")]:
    c.execute("INSERT INTO dash_audit (at_ms, by_user, action, detail) VALUES (?, 'admin', ?, ?)", (now, action, detail))
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.execute("PRAGMA journal_mode=DELETE")
db.execute("VACUUM")
db.close()
