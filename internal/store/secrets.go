package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"

	"github.com/lookout/lookout/internal/encryption"
)

// encryptedColumns are the columns that hold secrets, encrypted with the store's key when
// it has one: code host configs (tokens), webhook signing secrets, Slack webhook URLs
// (each its own credential) and campaigns' code host credentials.
var encryptedColumns = []struct{ table, column string }{
	{"external_services", "config"},
	{"cm_webhooks", "secret"},
	{"cm_slack_webhooks", "url"},
	{"campaigns_credentials", "credential"},
}

// EncryptPlaintextSecrets encrypts the secrets still stored in plain text: written before
// ENCRYPTION_KEY was set, or before their column was encrypted (Slack URLs). Without a
// key it does nothing. Reads accept both forms, so it may run while others serve; a row
// changed meanwhile is left to the writer (its new value is encrypted already). It
// returns how many values it encrypted, by "table.column".
func (s *Store) EncryptPlaintextSecrets(ctx context.Context) (map[string]int, error) {
	done := map[string]int{}
	if s.key == nil {
		return done, nil
	}
	for _, c := range encryptedColumns {
		var after int64
		for {
			type row struct {
				id    int64
				value string
			}
			rows, err := collect(ctx, s, sqlf.Sprintf("SELECT id, "+c.column+" FROM "+c.table+" WHERE id > %s AND "+c.column+" <> '' AND "+c.column+" NOT LIKE %s ORDER BY id LIMIT 500",
				after, encryption.StoredPrefix+"%"), func(r pgx.Row) (row, error) {
				var v row
				err := r.Scan(&v.id, &v.value)
				return v, err
			})
			if err != nil {
				return done, fmt.Errorf("reading plain-text %s.%s: %w", c.table, c.column, err)
			}
			if len(rows) == 0 {
				break
			}
			for _, r := range rows {
				enc, err := s.key.Encrypt(r.value)
				if err != nil {
					return done, err
				}
				tag, err := s.exec(ctx, sqlf.Sprintf("UPDATE "+c.table+" SET "+c.column+" = %s WHERE id = %s AND "+c.column+" = %s", enc, r.id, r.value))
				if err != nil {
					return done, fmt.Errorf("encrypting %s.%s of row %d: %w", c.table, c.column, r.id, err)
				}
				done[c.table+"."+c.column] += int(tag.RowsAffected())
				after = r.id
			}
		}
	}
	return done, nil
}

// StripURLUserinfo removes credentials from the URLs stored with repositories (repo.uri,
// external_service_repos.clone_url) by earlier versions, which accepted them in GIT
// connections: strip returns a URL without its userinfo. It returns how many it changed.
func (s *Store) StripURLUserinfo(ctx context.Context, strip func(string) (string, bool)) (int, error) {
	n := 0
	for _, c := range []struct{ table, key, column string }{
		{"repo", "id::text", "uri"},
		{"external_service_repos", "external_service_id || ':' || repo_id", "clone_url"},
	} {
		type row struct{ key, value string }
		// The authority (up to the first "/", "?" or "#" after the scheme) holds an "@".
		rows, err := collect(ctx, s, sqlf.Sprintf("SELECT "+c.key+", "+c.column+" FROM "+c.table+" WHERE "+c.column+` ~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@'`),
			func(r pgx.Row) (row, error) {
				var v row
				err := r.Scan(&v.key, &v.value)
				return v, err
			})
		if err != nil {
			return n, fmt.Errorf("reading %s.%s: %w", c.table, c.column, err)
		}
		for _, r := range rows {
			clean, changed := strip(r.value)
			if !changed {
				continue
			}
			tag, err := s.exec(ctx, sqlf.Sprintf("UPDATE "+c.table+" SET "+c.column+" = %s WHERE "+c.key+" = %s AND "+c.column+" = %s", clean, r.key, r.value))
			if err != nil {
				return n, fmt.Errorf("cleaning %s.%s: %w", c.table, c.column, err)
			}
			n += int(tag.RowsAffected())
		}
	}
	return n, nil
}
