//! A billing service on a fresh database, with its gate and meter.

use std::sync::Arc;

use chrono::Utc;
use souk_billing::domain::{OverQuota, Period, Plan, PlanDraft};
use souk_billing::gate::{Gate, GateSettings, VisitorLimit};
use souk_billing::meter::Meter;
use souk_billing::Billing;
use souk_migrations::testing::TestDatabase;
use souk_tenants::{PlatformPool, TenantId};

pub struct Fixture {
    pub db: TestDatabase,
    pub billing: Billing,
    pub gate: Arc<Gate>,
    pub meter: Arc<Meter>,
}

/// Metering on; rate limits as asked.
pub fn settings(rate_limits: bool) -> GateSettings {
    GateSettings {
        rate_limits,
        metering: true,
        visitors: VisitorLimit {
            per_second: 10,
            burst: 10,
        },
    }
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with(settings(false)).await
    }

    pub async fn with(settings: GateSettings) -> Self {
        let db = TestDatabase::create().await;
        let (gate, meter) = gate_on(&db, settings);
        let billing = Billing::new(
            db.app.clone(),
            PlatformPool::new(db.platform.clone()),
            None,
            Some(gate.clone()),
        );
        Self {
            db,
            billing,
            gate,
            meter,
        }
    }

    /// Another gateway's gate and meter on the same database.
    pub fn replica(&self, settings: GateSettings) -> (Arc<Gate>, Arc<Meter>) {
        gate_on(&self.db, settings)
    }

    /// A new active vendor; registration starts it on the free plan.
    pub async fn tenant(&self) -> TenantId {
        let tenant = TenantId::generate();
        sqlx::query(
            "INSERT INTO tenancy.tenants (id, name, slug, status, created_by)
             VALUES ($1, 'Billed vendor', $2, 'active', $1)",
        )
        .bind(tenant.as_uuid())
        .bind(format!("billed-{}", tenant.as_uuid().simple()))
        .execute(&self.db.owner)
        .await
        .expect("insert tenant");
        tenant
    }

    /// A plan `code` with the given quota, rate and over-quota rule.
    pub async fn plan(
        &self,
        code: &str,
        included: i64,
        rate: i32,
        burst: i32,
        over: OverQuota,
    ) -> Plan {
        self.billing
            .create_plan(code, draft(code, included, rate, burst, over))
            .await
            .expect("create plan")
    }

    /// Flushes the meter and hands the totals to the gate, as the server does.
    pub async fn flush(&self) {
        let totals = self.meter.flush().await.expect("flush");
        self.gate.flushed(totals);
    }

    /// The tenant's requests this month, as billed.
    pub async fn billed(&self, tenant: TenantId) -> i64 {
        self.billing
            .usage(tenant, Period::containing(Utc::now()))
            .await
            .expect("usage")
            .requests
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.owner)
            .await
            .expect("count")
    }
}

fn gate_on(db: &TestDatabase, settings: GateSettings) -> (Arc<Gate>, Arc<Meter>) {
    let meter = Arc::new(Meter::new(PlatformPool::new(db.platform.clone()), false));
    let gate = Arc::new(Gate::new(
        db.app.clone(),
        meter.clone(),
        settings,
        Arc::new(souk_limits::Limits::in_process()),
    ));
    (gate, meter)
}

pub fn draft(name: &str, included: i64, rate: i32, burst: i32, over: OverQuota) -> PlanDraft {
    PlanDraft::parse(name, 1000, "EUR", included, 10, rate, burst, over, None).expect("draft")
}
