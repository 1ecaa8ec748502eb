package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	got := out.String()
	assert.Contains(t, got, "pushing update 1.1.0 to 2 installs")
	assert.Contains(t, got, "BigCommerce - NetSuite (Acme)\n  before: version 1.0.1, updateInProgress true\n  after:  version 1.1.0, updateInProgress false, 2 settings sections")
	assert.Contains(t, got, "BigCommerce - NetSuite (Globex)\n  before: version 1.0.1, updateInProgress true\n  update failed at update function: settings have no sections to migrate (unlocked: true)\n  after:  version 1.0.1, updateInProgress false, 0 settings sections")
	assert.Contains(t, got, "1 of 2 installs updated; none left locked")
}
