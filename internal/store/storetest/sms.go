package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// testSMS: phones are one per user and scoped by organization; a new code
// voids the live ones; live codes are found by purpose until they expire
// or are spent; spending is single; wrong tries void a code at the limit;
// sends are counted per user and per phone hash.
func testSMS(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	ada := f.user(a, "ada@"+a.Slug+".example")
	bob := f.user(a, "bob@"+a.Slug+".example")
	sms := f.s.SMS()

	_, err := sms.GetSMSPhone(f.ctx, a.ID, ada.ID)
	wantCode(t, "GetSMSPhone(none)", err, directory.CodeNotFound, "")
	at := f.at(time.Minute)
	must(t, "PutSMSPhone", sms.PutSMSPhone(f.ctx, &directory.SMSPhone{OrgID: a.ID, UserID: ada.ID, Phone: "+447400123456", UpdatedAt: at}))
	confirmed := f.at(2 * time.Minute)
	p := &directory.SMSPhone{OrgID: a.ID, UserID: ada.ID, Phone: "+447400123456", ConfirmedAt: &confirmed, UpdatedAt: confirmed}
	must(t, "PutSMSPhone(confirm)", sms.PutSMSPhone(f.ctx, p))
	got, err := sms.GetSMSPhone(f.ctx, a.ID, ada.ID)
	must(t, "GetSMSPhone", err)
	diff(t, "GetSMSPhone", &directory.SMSPhone{OrgID: a.ID, UserID: ada.ID, Phone: "+447400123456",
		ConfirmedAt: ptr(micro(confirmed)), UpdatedAt: micro(confirmed)}, got)
	_, err = sms.GetSMSPhone(f.ctx, b.ID, ada.ID)
	wantCode(t, "GetSMSPhone through another organization", err, directory.CodeNotFound, "")
	wantCode(t, "PutSMSPhone through another organization",
		sms.PutSMSPhone(f.ctx, &directory.SMSPhone{OrgID: b.ID, UserID: ada.ID, Phone: "+447400999999", UpdatedAt: at}), directory.CodeNotFound, "")
	must(t, "DeleteSMSPhone through another organization", sms.DeleteSMSPhone(f.ctx, b.ID, ada.ID))
	if _, err := sms.GetSMSPhone(f.ctx, a.ID, ada.ID); err != nil {
		t.Errorf("another organization's delete removed the phone: %v", err)
	}

	code := func(id string, u *directory.User, purpose directory.SMSPurpose, phone string, created time.Time) *directory.SMSCode {
		t.Helper()
		c := &directory.SMSCode{ID: id, OrgID: a.ID, UserID: u.ID, Purpose: purpose, PhoneHash: phone, Salt: "salt-" + id,
			Hash: "hash-" + id, CreatedAt: created, ExpiresAt: created.Add(directory.SMSCodeTTL)}
		must(t, "CreateSMSCode "+id, sms.CreateSMSCode(f.ctx, c))
		return c
	}
	code("c0", ada, directory.SMSLogin, "p1", f.at(-25*time.Hour)) // swept by the next
	c1 := code("c1", ada, directory.SMSLogin, "p1", f.at(0))
	live, err := sms.LiveSMSCode(f.ctx, a.ID, ada.ID, directory.SMSLogin, f.at(time.Minute))
	must(t, "LiveSMSCode", err)
	diff(t, "LiveSMSCode", &directory.SMSCode{ID: "c1", OrgID: a.ID, UserID: ada.ID, Purpose: directory.SMSLogin, PhoneHash: "p1",
		Salt: "salt-c1", Hash: "hash-c1", CreatedAt: micro(c1.CreatedAt), ExpiresAt: micro(c1.ExpiresAt)}, live)
	_, err = sms.LiveSMSCode(f.ctx, a.ID, ada.ID, directory.SMSEnrol, f.at(time.Minute))
	wantCode(t, "LiveSMSCode(other purpose)", err, directory.CodeNotFound, "")
	_, err = sms.LiveSMSCode(f.ctx, b.ID, ada.ID, directory.SMSLogin, f.at(time.Minute))
	wantCode(t, "LiveSMSCode through another organization", err, directory.CodeNotFound, "")
	_, err = sms.LiveSMSCode(f.ctx, a.ID, ada.ID, directory.SMSLogin, f.at(directory.SMSCodeTTL+time.Second))
	wantCode(t, "LiveSMSCode(expired)", err, directory.CodeNotFound, "")

	byUser, byPhone, err := sms.CountSMSCodes(f.ctx, ada.ID, "p1", f.at(-time.Hour))
	must(t, "CountSMSCodes", err)
	if byUser != 1 || byPhone != 1 {
		t.Errorf("CountSMSCodes = %d, %d; want 1, 1 (the day-old code swept)", byUser, byPhone)
	}

	// A new code voids the live one.
	code("c2", ada, directory.SMSLogin, "p1", f.at(time.Minute))
	code("c3", bob, directory.SMSEnrol, "p1", f.at(time.Minute))
	live, err = sms.LiveSMSCode(f.ctx, a.ID, ada.ID, directory.SMSLogin, f.at(2*time.Minute))
	must(t, "LiveSMSCode after a new code", err)
	if live.ID != "c2" {
		t.Errorf("live code %s, want c2", live.ID)
	}
	if ok, err := sms.SpendSMSCode(f.ctx, "c1", f.at(2*time.Minute)); err != nil || ok {
		t.Errorf("SpendSMSCode(voided) = %v, %v; want false", ok, err)
	}
	byUser, byPhone, err = sms.CountSMSCodes(f.ctx, ada.ID, "p1", f.at(-time.Hour))
	must(t, "CountSMSCodes", err)
	if byUser != 2 || byPhone != 3 {
		t.Errorf("CountSMSCodes = %d, %d; want 2, 3", byUser, byPhone)
	}

	// Spending is single, even concurrently.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 6 {
		wg.Go(func() {
			if ok, err := sms.SpendSMSCode(f.ctx, "c2", f.at(2*time.Minute)); err == nil && ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent spends of one code succeeded, want 1", wins)
	}

	// Wrong tries void the code at the limit.
	code("c4", ada, directory.SMSLogin, "p1", f.at(3*time.Minute))
	for i := range 3 {
		must(t, "FailSMSCode", sms.FailSMSCode(f.ctx, "c4", 3, f.at(3*time.Minute)))
		live, err := sms.LiveSMSCode(f.ctx, a.ID, ada.ID, directory.SMSLogin, f.at(3*time.Minute))
		if i < 2 && (err != nil || live.Attempts != i+1) {
			t.Errorf("after %d wrong tries: %+v, %v", i+1, live, err)
		}
		if i == 2 {
			wantCode(t, "LiveSMSCode after the last wrong try", err, directory.CodeNotFound, "")
		}
	}

	// A code the provider would not send is deleted: it counts no more,
	// and another organization cannot delete it.
	byUser, byPhone, err = sms.CountSMSCodes(f.ctx, ada.ID, "p9", f.at(-time.Hour))
	must(t, "CountSMSCodes", err)
	code("c5", ada, directory.SMSLogin, "p9", f.at(3*time.Minute))
	must(t, "DeleteSMSCode through another organization", sms.DeleteSMSCode(f.ctx, b.ID, "c5"))
	if live, err := sms.LiveSMSCode(f.ctx, a.ID, ada.ID, directory.SMSLogin, f.at(3*time.Minute)); err != nil || live.ID != "c5" {
		t.Errorf("another organization's delete removed the code: %+v, %v", live, err)
	}
	must(t, "DeleteSMSCode", sms.DeleteSMSCode(f.ctx, a.ID, "c5"))
	_, err = sms.LiveSMSCode(f.ctx, a.ID, ada.ID, directory.SMSLogin, f.at(3*time.Minute))
	wantCode(t, "LiveSMSCode after DeleteSMSCode", err, directory.CodeNotFound, "")
	if u, p, err := sms.CountSMSCodes(f.ctx, ada.ID, "p9", f.at(-time.Hour)); err != nil || u != byUser || p != byPhone {
		t.Errorf("CountSMSCodes after DeleteSMSCode = %d, %d, %v; want %d, %d", u, p, err, byUser, byPhone)
	}

	// Voiding and deleting.
	must(t, "VoidSMSCodes", sms.VoidSMSCodes(f.ctx, a.ID, bob.ID, f.at(4*time.Minute)))
	_, err = sms.LiveSMSCode(f.ctx, a.ID, bob.ID, directory.SMSEnrol, f.at(4*time.Minute))
	wantCode(t, "LiveSMSCode after VoidSMSCodes", err, directory.CodeNotFound, "")
	must(t, "DeleteSMSPhone", sms.DeleteSMSPhone(f.ctx, a.ID, ada.ID))
	_, err = sms.GetSMSPhone(f.ctx, a.ID, ada.ID)
	wantCode(t, "GetSMSPhone after DeleteSMSPhone", err, directory.CodeNotFound, "")
}
