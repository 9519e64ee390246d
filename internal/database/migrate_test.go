package database_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/migrations"
)

func TestMigrationsLoad(t *testing.T) {
	for _, set := range []struct {
		name string
		load func() ([]database.Migration, error)
	}{
		{"main", func() ([]database.Migration, error) { return database.LoadMigrations(migrations.Main()) }},
		{"codeinsights", func() ([]database.Migration, error) { return database.LoadMigrations(migrations.CodeInsights()) }},
	} {
		migs, err := set.load()
		if err != nil {
			t.Fatalf("%s: %v", set.name, err)
		}
		if len(migs) == 0 {
			t.Fatalf("%s: no migrations", set.name)
		}
		// Versions increase; parallel branches take separate ranges, so gaps are allowed.
		prev := 0
		for _, m := range migs {
			if m.Version <= prev {
				t.Errorf("%s: migration %d_%s: versions must increase from 1, after %d", set.name, m.Version, m.Name, prev)
			}
			prev = m.Version
		}
	}
}

func TestLoadMigrationsRejectsBadSets(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"missing down": {"0001_a.up.sql": {Data: []byte("SELECT 1")}},
		"bad name":     {"1-a.sql": {Data: []byte("SELECT 1")}},
		"two names":    {"0001_a.up.sql": {Data: []byte("SELECT 1")}, "0001_b.down.sql": {Data: []byte("SELECT 1")}},
	} {
		if _, err := database.LoadMigrations(fsys); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}

func TestMigrateUpDownAndFailure(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.NewDB(t)
	main, err := database.LoadMigrations(migrations.Main())
	if err != nil {
		t.Fatal(err)
	}
	m := &database.Migrator{Pool: pool, Migrations: main}
	if pending, err := m.Pending(ctx); err != nil || pending {
		t.Fatalf("template database should be fully migrated: pending=%v err=%v", pending, err)
	}
	if _, err := m.Down(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	if v, _ := m.Version(ctx); v != 0 {
		t.Fatalf("version after down = %d, want 0", v)
	}

	last := main[len(main)-1].Version
	broken := append([]database.Migration{}, main...)
	broken = append(broken, database.Migration{Version: last + 1, Name: "broken", Up: "CREATE TABLE ok_then (id int); SELECT * FROM no_such_table", Down: "SELECT 1"})
	m = &database.Migrator{Pool: pool, Migrations: broken}
	applied, err := m.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("want error naming the broken migration, got %v", err)
	}
	if diff := cmp.Diff(len(main), len(applied)); diff != "" {
		t.Fatalf("applied before failure (-want +got):\n%s", diff)
	}
	if v, _ := m.Version(ctx); v != last {
		t.Fatalf("version after failed migration = %d, want %d", v, last)
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('ok_then') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Fatalf("the failed migration's first statement must be rolled back (exists=%v, err=%v)", exists, err)
	}
}

func TestConcurrentMigrators(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.NewDB(t)
	main, err := database.LoadMigrations(migrations.Main())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&database.Migrator{Pool: pool, Migrations: main}).Down(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([][]int, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = (&database.Migrator{Pool: pool, Migrations: main}).Up(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("migrator %d: %v", i, errs[i])
		}
		total += len(results[i])
	}
	if total != len(main) {
		t.Fatalf("concurrent migrators applied %d migrations in all, want each once (%d)", total, len(main))
	}
}
