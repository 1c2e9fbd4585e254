//! The parity score, 0-100, overall and per component (category and service).
//!
//! Formula (docs/score.md): every compared item weighs one: each service's presence, each of its
//! aspects and settings compared in at least two environments, each environment-wide setting.
//! An item is in parity when it is the same everywhere or its difference is intended. A
//! component's score is `100 × in parity / items`; each item out of parity loses
//! `100 / items` points of the overall score, and `lost` lists them, so every point traces to
//! an item. Per environment, the matrix counts the items in parity with the reference
//! environment.

use serde::Serialize;

use crate::compare::Comparison;
use crate::verdict::{Category, Kind, Verdict, Verdicts};

#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub overall: f64,
    pub items: u32,
    pub in_parity: u32,
    pub min_score: f64,
    pub categories: Vec<ComponentScore>,
    pub services: Vec<ComponentScore>,
    /// Items out of parity and the overall points each cost (all equal), in report order.
    pub lost: Vec<LostItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentScore {
    pub name: String,
    pub score: f64,
    pub items: u32,
    pub in_parity: u32,
    /// Per environment: share of the component's items in parity with the reference, in
    /// percent; `None` when the component has no item there.
    pub per_environment: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LostItem {
    pub service: Option<String>,
    pub item: String,
    pub kind: Kind,
    pub category: Category,
    pub points: f64,
}

#[derive(Default)]
struct Tally {
    items: u32,
    in_parity: u32,
    env_items: Vec<u32>,
    env_ok: Vec<u32>,
}

impl Tally {
    fn new(envs: usize) -> Self {
        Tally {
            env_items: vec![0; envs],
            env_ok: vec![0; envs],
            ..Tally::default()
        }
    }

    fn add(&mut self, v: &Verdict) {
        self.items += 1;
        self.in_parity += u32::from(v.kind.in_parity());
        for (i, ok) in v.env_ok.iter().enumerate() {
            if let Some(ok) = ok {
                self.env_items[i] += 1;
                self.env_ok[i] += u32::from(*ok);
            }
        }
    }

    fn component(&self, name: &str) -> ComponentScore {
        ComponentScore {
            name: name.to_string(),
            score: percent(self.in_parity, self.items),
            items: self.items,
            in_parity: self.in_parity,
            per_environment: self
                .env_items
                .iter()
                .zip(&self.env_ok)
                .map(|(n, ok)| (*n > 0).then(|| percent(*ok, *n)))
                .collect(),
        }
    }
}

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        100.0
    } else {
        round1(100.0 * f64::from(part) / f64::from(whole))
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

pub fn score(c: &Comparison, verdicts: &Verdicts, min_score: f64) -> Score {
    let envs = c.environments.len();
    let mut overall = Tally::new(envs);
    let mut categories: Vec<(Category, Tally)> = Category::ALL
        .iter()
        .map(|k| (*k, Tally::new(envs)))
        .collect();
    let mut services = Vec::new();
    let mut out_of_parity: Vec<(Option<String>, String, Kind, Category)> = Vec::new();
    let mut count =
        |v: &Verdict, service: Option<&str>, item: &str, tally: &mut Tally, overall: &mut Tally| {
            tally.add(v);
            overall.add(v);
            if let Some((_, t)) = categories.iter_mut().find(|(k, _)| *k == v.category) {
                t.add(v);
            }
            if !v.kind.in_parity() {
                out_of_parity.push((
                    service.map(str::to_string),
                    item.to_string(),
                    v.kind,
                    v.category,
                ));
            }
        };
    for (s, sv) in c.services.iter().zip(&verdicts.services) {
        let mut tally = Tally::new(envs);
        count(
            &sv.presence,
            Some(&s.name),
            "presence",
            &mut tally,
            &mut overall,
        );
        for (r, v) in s.rows.iter().zip(&sv.rows) {
            if let Some(v) = v {
                count(v, Some(&s.name), r.aspect.id(), &mut tally, &mut overall);
            }
        }
        services.push(tally.component(&s.name));
    }
    let mut env_tally = Tally::new(envs);
    for (r, v) in c.environment_rows.iter().zip(&verdicts.environment_rows) {
        count(v, None, r.aspect.id(), &mut env_tally, &mut overall);
    }
    let points = if overall.items == 0 {
        0.0
    } else {
        100.0 / f64::from(overall.items)
    };
    Score {
        overall: percent(overall.in_parity, overall.items),
        items: overall.items,
        in_parity: overall.in_parity,
        min_score,
        categories: categories
            .iter()
            .filter(|(_, t)| t.items > 0)
            .map(|(k, t)| t.component(k.label()))
            .collect(),
        services,
        lost: out_of_parity
            .into_iter()
            .map(|(service, item, kind, category)| LostItem {
                service,
                item,
                kind,
                category,
                points: (points * 100.0).round() / 100.0,
            })
            .collect(),
    }
}

/// Add the running servers' items (`envparity live`: each setting, version, extension and
/// schema checksum compared in at least two environments) in their own category, and
/// recompute the overall score and the points each lost item costs.
pub fn add_live(score: &mut Score, items: &[crate::live::compare::ScoreItem], envs: usize) {
    if items.is_empty() {
        return;
    }
    let mut tally = Tally::new(envs);
    for item in items {
        let v = Verdict {
            kind: if item.in_parity {
                Kind::Same
            } else {
                Kind::Drift
            },
            category: Category::RunningServers,
            reason: None,
            env_ok: item.env_ok.clone(),
        };
        tally.add(&v);
        if !item.in_parity {
            score.lost.push(LostItem {
                service: None,
                item: item.item.clone(),
                kind: Kind::Drift,
                category: Category::RunningServers,
                points: 0.0,
            });
        }
    }
    score.items += tally.items;
    score.in_parity += tally.in_parity;
    score.overall = percent(score.in_parity, score.items);
    let points = 100.0 / f64::from(score.items.max(1));
    for l in &mut score.lost {
        l.points = (points * 100.0).round() / 100.0;
    }
    score
        .categories
        .push(tally.component(Category::RunningServers.label()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::align;
    use crate::compare::compare;
    use crate::model::{Environment, Origin, Role, Scan, Service, Setting};
    use crate::policy::Policy;
    use crate::verdict::classify;

    fn svc(name: &str, settings: &[(&str, &str)]) -> Service {
        let mut s = Service::new(name, Origin::new("f.yml", 1));
        s.role = Role::Web;
        for (k, v) in settings {
            s.settings
                .insert(k.to_string(), Setting::new(k, *v, Origin::new("f.yml", 2)));
        }
        s
    }

    #[test]
    fn every_lost_point_traces_to_an_item() {
        let scan = Scan {
            environments: vec![
                Environment {
                    services: vec![svc(
                        "web",
                        &[("env.A", "1"), ("env.DEBUG", "1"), ("env.LOG", "x")],
                    )],
                    ..Environment::new("staging")
                },
                Environment {
                    services: vec![
                        svc("web", &[("env.A", "1"), ("env.DEBUG", "0")]),
                        svc("worker", &[]),
                    ],
                    ..Environment::new("production")
                },
            ],
            unread: Vec::new(),
            notes: vec![],
        };
        let c = compare(&scan, &align(&scan));
        let v = classify(&c, &Policy::default());
        let s = score(&c, &v, 90.0);
        // web: presence, instances, image, 4 resource rows, env.A, env.DEBUG, env.LOG = 10
        // items; worker: presence = 1. Out of parity: env.DEBUG (drift), env.LOG (missing),
        // worker presence (missing) -> 8 of 11.
        assert_eq!((s.items, s.in_parity), (11, 8));
        assert_eq!(s.overall, 72.7);
        let lost: Vec<(&str, Kind)> = s.lost.iter().map(|l| (l.item.as_str(), l.kind)).collect();
        assert_eq!(
            lost,
            [
                ("env.DEBUG", Kind::Drift),
                ("env.LOG", Kind::Missing),
                ("presence", Kind::Missing)
            ]
        );
        assert_eq!(s.lost[0].points, 9.09);
        let security = s
            .categories
            .iter()
            .find(|c| c.name == "Security settings")
            .unwrap();
        assert_eq!(
            (security.items, security.in_parity, security.score),
            (1, 0, 0.0)
        );
        assert_eq!(s.services[0].per_environment, vec![Some(80.0), Some(100.0)]);
    }
}
