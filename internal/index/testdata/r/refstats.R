## refstats.R — regenerates the shared reference results of refdata/expected/ from the
## refdata CSVs (METHODS §2-8, §10-12), in the same structure and field names:
##   2024_vs_2023_raw.json         (main set, raw 2023 baseline; without `bootstrap`)
##   2024_vs_aggregates_2023.json  (main set, published 2023 aggregates as baseline)
##   edge_2024_vs_2023_raw.json    (edge set)
##   xw_2025_vs_2023.json          (agency rows across the 2025 crosswalk, METHODS §11-12)
##   unit_cases.json               (formula test vectors; the cases are read from the shared file)
##
## Usage (from the repository root):
##   Rscript internal/index/testdata/r/refstats.R [--out DIR] [--check]
## The files are written to DIR (default: a new temporary directory), never over
## refdata/expected.  --check compares every field with refdata/expected/ (bootstrap and
## meta excluded) and exits with status 1 when a number differs by more than 1e-9.
##
## These references describe the estimators *before* the guards of METHODS §13 (the shared
## files predate them): a change with SE 0 keeps p = 1 (d = 0) or 0, and n = 1 questions keep
## their estimates.  The guarded versions are in testdata/stress/.

local({
  a <- commandArgs(FALSE)
  me <- normalizePath(sub("^--file=", "", a[grep("^--file=", a)]))
  source(file.path(dirname(me), "lib.R"))
})
args <- commandArgs(TRUE)
out_dir <- if ("--out" %in% args) args[which(args == "--out") + 1] else
  file.path(dirname(tempdir()), paste0("sipas-refstats-", Sys.getpid()))   # outlives the R session
do_check <- "--check" %in% args
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
t_start <- proc.time()[["elapsed"]]
REF <- td("refdata")

## ---------------------------------------------------------------------------------------
## One year: every index on both bases, in the layout of refdata/expected (METHODS §2-3).
## ---------------------------------------------------------------------------------------
question_block <- function(yd, k) {
  ru <- unweighted_index(k, yd$Y); u <- unw_summary(ru)
  unw <- list(x = as.integer(u$x), n = as.integer(u$n), est = num(u$est), se = num(u$se),
              ci_wilson = arr(u$ci))
  rs <- stratified_index(k, yd)
  n <- rs$n
  if (n == 0) {
    str <- list(est = NA, se = NA, n = 0L, var_direct = NA, n_strata = 0L,
                lonely_strata = arr(character(0)))
  } else {
    sv <- survey_question(yd$Y, yd$agency, yd$N, yd$N, k)
    p <- rs$est; V <- sv$var; se <- sqrt(V)
    wn <- wilson_neff(p, V, n)
    kg <- suppressWarnings(attr(svyciprop(~y, sv$design, method = "beta"), "ci"))
    # the shared files' ci_logit is the logit interval with normal quantiles (df = Inf);
    # with the default df = degf(design) it differs by up to 0.03 in the edge set
    lg <- suppressWarnings(attr(svyciprop(~y, sv$design, method = "logit", df = Inf), "ci"))
    kg[is.nan(kg)] <- NA
    str <- list(est = p, se = se, n = as.integer(n), var_direct = rs$V,
                n_strata = length(rs$strata), lonely_strata = arr(rs$lonely),
                ci_wald = arr(p + c(-1, 1) * Z * se),
                n_eff = wn$n_eff, ci_wilson_neff = arr(wn$ci),
                check_svymean_est = sv$est, check_svymean_se = sqrt(sv$var),
                deff = if (p %in% c(0, 1)) NA else sv$deff,
                ci_korn_graubard = arr(as.numeric(kg)), ci_logit = arr(as.numeric(lg)))
  }
  list(block = list(id = k, kind = "question", aspect = ASPECT_OF[[k]], unweighted = unw, stratified = str),
       ru = ru, rs = rs, u = u,
       check = c(est = if (n > 0) abs(rs$est - sv$est) else 0, var = if (n > 0) abs(rs$V - sv$var) else 0))
}

composite_block <- function(yd, id) {
  ru <- unweighted_index(id, yd$Y); u <- unw_summary(ru)
  qs <- index_questions(id)
  S <- rowSums(!is.na(yd$Y[, qs, drop = FALSE])) > 0
  Ys <- yd$Y[S, qs, drop = FALSE]
  score <- rowSums(Ys, na.rm = TRUE) / rowSums(!is.na(Ys))      # respondent score s_i (§3)
  pseudo <- ru$est + ru$n * ru$e                                 # pseudo-scores s*_i (§3)
  unw <- list(est = ru$est, se = num(u$se), n = as.integer(ru$n), df = as.integer(ru$n - 1),
              dropped_questions = arr(ru$dropped), ci_t = arr(u$ci),
              respondent_score_mean = mean(score),
              check_pseudo_t_se = sd(pseudo) / sqrt(ru$n))
  rs <- stratified_index(id, yd)
  Vs <- survey_var_lin(rs)                                       # vcov(svytotal(~lin))
  str <- list(est = rs$est, se = sqrt(Vs), n = as.integer(rs$n), var_direct = rs$V,
              n_strata = length(rs$strata), lonely_strata = arr(rs$lonely),
              dropped_questions = arr(rs$dropped),
              ci_wald = arr(clip01(rs$est + c(-1, 1) * Z * sqrt(Vs))),
              deff_vs_unweighted = Vs / ru$V)
  list(block = list(id = id, kind = index_kind(id), questions = arr(qs), unweighted = unw, stratified = str),
       ru = ru, rs = rs, u = u, Vs = Vs, pseudo = pseudo, check = c(est = 0, var = abs(rs$V - Vs)))
}

design_block <- function(yd, order) {
  with_ans <- rowSums(!is.na(yd$Y)) > 0
  ag <- yd$agency[with_ans]
  present <- order[order %in% ag]
  nh <- as.vector(table(factor(ag, levels = present)))
  Nh <- yd$N[present]
  w <- (Nh / nh)[match(ag, present)]
  list(n_respondents_total = nrow(yd$d), n_respondents_with_answers = sum(with_ans),
       strata = lapply(seq_along(present), function(j)
         list(agency = present[j], N_h = unname(Nh[j]), n_h = nh[j], f_h = unname(nh[j] / Nh[j]))),
       N_total_present = sum(Nh),
       kish_deff_weighting = length(w) * sum(w^2) / sum(w)^2,
       degf = sum(with_ans) - length(present))
}

year_blocks <- function(yd, order) {
  qb <- lapply(QUESTIONS, function(k) question_block(yd, k)); names(qb) <- QUESTIONS
  ab <- lapply(names(ASPECTS), function(a) composite_block(yd, a)); names(ab) <- names(ASPECTS)
  ob <- composite_block(yd, "overall")
  list(q = qb, a = ab, o = ob, design = design_block(yd, order),
       json = list(questions = lapply(qb, `[[`, "block"), aspects = lapply(ab, `[[`, "block"),
                   overall = ob$block, design = design_block(yd, order)))
}

sample_size_block <- function(design) {
  N <- design$N_total_present; dk <- design$kish_deff_weighting
  list(national = lapply(c(0.03, 0.05), function(e)
         list(margin = e, N = N, n_srs = sample_size(e, N = N), n_deff = sample_size(e, deff = dk, N = N),
              deff_used = dk)),
       per_agency_5pct = lapply(design$strata, function(s)
         list(agency = s$agency, N = s$N_h, n = sample_size(0.05, N = s$N_h))))
}

## ---------------------------------------------------------------------------------------
## Changes against a raw baseline (METHODS §5), the shared files' layout (no §13 guards).
## ---------------------------------------------------------------------------------------
raw_question_change <- function(c1, c0) {
  u1 <- c1$u; u0 <- c0$u
  if (u1$n == 0 || u0$n == 0) {
    unw <- list(method = "newcombe_hybrid_score + pooled z test", diff = NA, ci = arr(c(NA, NA)),
                p_value = NA, verdict = OLD_WORDS[["insufficient_data"]], p_ci_discordant = FALSE)
  } else {
    ci <- newcombe(u1$x, u1$n, u0$x, u0$n); p <- pooled_z_p(u1$x, u1$n, u0$x, u0$n)
    v <- verdict_ci(ci)
    unw <- list(method = "newcombe_hybrid_score + pooled z test", diff = u1$est - u0$est, ci = arr(ci),
                p_value = p, verdict = OLD_WORDS[[v]],
                p_ci_discordant = (p < 0.05) != (v %in% c("higher", "lower")))
  }
  s1 <- c1$block$stratified; s0 <- c0$block$stratified
  if (s1$n == 0 || s0$n == 0) {
    str <- list(method = "wald_z_linearised", diff = NA, se = NA, ci = arr(c(NA, NA)), p_value = NA,
                verdict = OLD_WORDS[["insufficient_data"]])
  } else {
    d <- s1$est - s0$est; se <- sqrt(s1$se^2 + s0$se^2); ci <- d + c(-1, 1) * Z * se
    str <- list(method = "wald_z_linearised", diff = d, se = se, df = NA, ci = arr(ci),
                p_value = z_p(d, se), verdict = OLD_WORDS[[verdict_ci(ci)]])
  }
  list(id = c1$block$id, kind = "question", unweighted = unw, stratified = str)
}

raw_composite_change <- function(c1, c0) {
  u1 <- c1$u; u0 <- c0$u
  d <- u1$est - u0$est; V <- u1$V + u0$V; se <- sqrt(V)
  df <- welch_df(u1$V, u1$n, u0$V, u0$n)
  ci <- d + c(-1, 1) * qt(0.975, df) * se
  tt <- t.test(c1$pseudo, c0$pseudo)                      # Welch t on the pseudo-scores (§3)
  unw <- list(method = "welch_t_linearised", diff = d, se = se, df = df, ci = arr(ci),
              p_value = 2 * pt(-abs(d) / se, df),
              check_t_test = list(ci = arr(as.numeric(tt$conf.int)), p_value = tt$p.value,
                                  df = unname(tt$parameter)),
              verdict = OLD_WORDS[[verdict_ci(ci)]])
  d <- c1$rs$est - c0$rs$est; se <- sqrt(c1$Vs + c0$Vs); ci <- d + c(-1, 1) * Z * se
  str <- list(method = "wald_z_linearised", diff = d, se = se, df = NA, ci = arr(ci),
              p_value = z_p(d, se), verdict = OLD_WORDS[[verdict_ci(ci)]])
  list(id = c1$block$id, kind = c1$block$kind, unweighted = unw, stratified = str)
}

comparison_raw <- function(cur, base) {
  qs <- lapply(QUESTIONS, function(k) raw_question_change(cur$q[[k]], base$q[[k]])); names(qs) <- QUESTIONS
  for (basis in c("unweighted", "stratified")) {          # Holm and BH over the questions (§8)
    p <- sapply(qs, function(x) num(x[[basis]]$p_value))
    ph <- adjust_p(p, "holm"); pb <- adjust_p(p, "BH")
    for (j in seq_along(qs)) { qs[[j]][[basis]]$p_holm <- num(ph[j]); qs[[j]][[basis]]$p_bh <- num(pb[j]) }
  }
  as_ <- lapply(names(ASPECTS), function(a) raw_composite_change(cur$a[[a]], base$a[[a]])); names(as_) <- names(ASPECTS)
  list(questions = qs, aspects = as_, overall = raw_composite_change(cur$o, base$o))
}

## Agency rows, unweighted basis (METHODS §10): overall index per agency, own t interval,
## Welch change, Holm and BH over the agencies with a p-value.
agency_comparisons <- function(y1, y0) {
  ags <- sort(unique(y1$agency[rowSums(!is.na(y1$Y)) > 0]), method = "radix")
  rows <- lapply(ags, function(a) {
    r1 <- unweighted_index("overall", y1$Y[y1$agency == a, , drop = FALSE]); u1 <- unw_summary(r1)
    r0 <- unweighted_index("overall", y0$Y[y0$agency == a, , drop = FALSE]); u0 <- unw_summary(r0)
    row <- list(agency = a, est = r1$est, n = as.integer(r1$n), baseline_est = num(r0$est),
                baseline_n = as.integer(r0$n))
    if (r0$n == 0) {
      row <- c(row, list(diff = NA, se = NA, ci = arr(c(NA, NA)), p_value = NA, verdict = OLD_WORDS[["insufficient_data"]]))
    } else if (r1$n < 2 || r0$n < 2) {
      row <- c(row, list(diff = r1$est - r0$est, se = NA, ci = arr(c(NA, NA)), p_value = NA,
                         verdict = OLD_WORDS[["insufficient_data"]]))
    } else {
      d <- r1$est - r0$est; se <- sqrt(u1$V + u0$V); df <- welch_df(u1$V, r1$n, u0$V, r0$n)
      ci <- d + c(-1, 1) * qt(0.975, df) * se
      row <- c(row, list(diff = d, se = se, df = df, ci = arr(ci), p_value = 2 * pt(-abs(d) / se, df),
                         verdict = OLD_WORDS[[verdict_ci(ci)]]))
    }
    row$est_ci_t <- arr(u1$ci)
    row
  })
  p <- sapply(rows, function(r) num(r$p_value))
  ph <- adjust_p(p, "holm"); pb <- adjust_p(p, "BH")
  for (j in seq_along(rows)) {
    rows[[j]]$p_holm <- num(ph[j]); rows[[j]]$p_bh <- num(pb[j])
    d <- num(rows[[j]]$diff)
    rows[[j]]$verdict_holm <- OLD_WORDS[[verdict_adj(ph[j], d)]]
    rows[[j]]$verdict_bh <- OLD_WORDS[[verdict_adj(pb[j], d)]]
  }
  list(index = "overall", basis = "unweighted",
       method = "welch_t_linearised per agency; Holm and BH over agencies with a p-value",
       m = sum(!is.na(p)), rows = rows)
}

## ---------------------------------------------------------------------------------------
## Changes against published aggregates (METHODS §6): baseline variance borrowed from this
## year's variance-to-binomial ratio.
## ---------------------------------------------------------------------------------------
read_aggregates <- function(path) {
  a <- read_csv_utf8(path)
  a$percent <- as.numeric(a$percent); a$n <- as.numeric(a$n)
  if ("se" %in% names(a)) a$se <- suppressWarnings(as.numeric(ifelse(a$se == "", NA, a$se)))
  a
}
comparison_aggregate <- function(cur, ag) {
  pub <- function(id, basis) {
    r <- ag[ag$index == id & ag$basis == basis, ]
    stopifnot(nrow(r) == 1)
    list(e0 = r$percent / 100, n0 = r$n)
  }
  borrowed <- function(V1, e1, n1, e0, n0) V1 * (e0 * (1 - e0) / n0) / (e1 * (1 - e1) / n1)
  strat <- function(e1, V1, n1, b) {
    V0 <- borrowed(V1, e1, n1, b$e0, b$n0)
    d <- e1 - b$e0; se <- sqrt(V1 + V0); ci <- d + c(-1, 1) * Z * se
    list(method = "wald_z, baseline variance borrowed", diff = d, se = se, df = NA, ci = arr(ci),
         p_value = z_p(d, se), baseline_var = V0, baseline_var_rule = "scaled_from_current_year",
         baseline_estimate = b$e0, baseline_n = as.integer(b$n0), verdict = OLD_WORDS[[verdict_ci(ci)]])
  }
  qs <- lapply(QUESTIONS, function(k) {
    c1 <- cur$q[[k]]; u <- c1$u; b <- pub(k, "unweighted")
    x0 <- b$e0 * b$n0
    ci <- newcombe(u$x, u$n, x0, b$n0)
    unw <- list(method = "newcombe_hybrid_score(x0 = e0*n0) + pooled z test", diff = u$est - b$e0,
                ci = arr(ci), p_value = pooled_z_p(u$x, u$n, x0, b$n0),
                baseline_estimate = b$e0, baseline_n = as.integer(b$n0), verdict = OLD_WORDS[[verdict_ci(ci)]])
    s <- c1$block$stratified
    list(id = k, kind = "question", unweighted = unw, stratified = strat(s$est, s$se^2, s$n, pub(k, "stratified")))
  }); names(qs) <- QUESTIONS
  comp <- function(c1) {
    id <- c1$block$id; u <- c1$u; b <- pub(id, "unweighted")
    V0 <- borrowed(u$V, u$est, u$n, b$e0, b$n0)
    d <- u$est - b$e0; se <- sqrt(u$V + V0); df <- welch_df(u$V, u$n, V0, b$n0)
    ci <- d + c(-1, 1) * qt(0.975, df) * se
    unw <- list(method = "welch_t, baseline variance borrowed", diff = d, se = se, df = df, ci = arr(ci),
                p_value = 2 * pt(-abs(d) / se, df), baseline_var = V0,
                baseline_var_rule = "scaled_from_current_year", baseline_estimate = b$e0,
                baseline_n = as.integer(b$n0), verdict = OLD_WORDS[[verdict_ci(ci)]])
    list(id = id, kind = c1$block$kind, unweighted = unw,
         stratified = strat(c1$rs$est, c1$Vs, c1$rs$n, pub(id, "stratified")))
  }
  as_ <- lapply(names(ASPECTS), function(a) comp(cur$a[[a]])); names(as_) <- names(ASPECTS)
  list(note = "baseline known only as (estimate, n); published estimates are rounded to 4 decimals",
       questions = qs, aspects = as_, overall = comp(cur$o))
}

checks_block <- function(...) {
  ys <- list(...)
  ch <- do.call(rbind, lapply(ys, function(y) do.call(rbind, lapply(c(y$q, y$a, list(y$o)), `[[`, "check"))))
  list(max_abs_question_vs_svymean = max(ch[, "est"]), max_abs_var_survey_vs_direct = max(ch[, "var"]))
}

meta_block <- function(inputs) {
  list(generated_by = script_name(), R = R.version.string, survey = as.character(packageVersion("survey")),
       conf_level = CONF, z = Z, options = list(survey.lonely.psu = getOption("survey.lonely.psu")),
       inputs = inputs)
}

## ---------------------------------------------------------------------------------------
## The three reports of refdata/README.md ("How the expected results were obtained").
## ---------------------------------------------------------------------------------------
raw_report <- function(prefix, year, base) {
  ag <- read_agencies(file.path(REF, paste0(prefix, "agencies.csv")))
  pops <- read_populations(file.path(REF, paste0(prefix, "populations.csv")))
  resp <- read_responses(file.path(REF, paste0(prefix, "responses_", c(base, year), ".csv")))
  y1 <- year_data(resp, pops, year); y0 <- year_data(resp, pops, base)
  c1 <- year_blocks(y1, ag$code); c0 <- year_blocks(y0, ag$code)
  list(meta = meta_block(list(responses = sprintf("%sresponses_%d.csv", prefix, year),
                              populations = sprintf("%spopulations.csv (year %d)", prefix, year),
                              aspects = "default questionnaire sipas (question,aspect)",
                              `baseline-responses` = sprintf("%sresponses_%d.csv", prefix, base),
                              `baseline-populations` = sprintf("%spopulations.csv (year %d)", prefix, base))),
       current = c1$json, baseline = c0$json,
       comparison_raw = comparison_raw(c1, c0),
       agency_comparisons = agency_comparisons(y1, y0),
       sample_size = sample_size_block(c1$design),
       checks = checks_block(c1, c0))
}

aggregate_report <- function() {
  ag <- read_agencies(file.path(REF, "agencies.csv"))
  pops <- read_populations(file.path(REF, "populations.csv"))
  resp <- read_responses(file.path(REF, "responses_2024.csv"))
  y1 <- year_data(resp, pops, 2024)
  c1 <- year_blocks(y1, ag$code)
  agg <- read_aggregates(file.path(REF, "aggregates_2023.csv"))
  list(meta = meta_block(list(responses = "responses_2024.csv", populations = "populations.csv (year 2024)",
                              aspects = "default questionnaire sipas (question,aspect)",
                              `baseline-aggregates` = "aggregates_2023.csv (estimate = percent/100)")),
       current = c1$json, comparison_aggregate = comparison_aggregate(c1, agg),
       sample_size = sample_size_block(c1$design), checks = checks_block(c1))
}

## ---------------------------------------------------------------------------------------
## Agency rows across the 2025 crosswalk (METHODS §11-12), stratified basis.
## ---------------------------------------------------------------------------------------
xw_report <- function() {
  ag <- read_agencies(file.path(REF, "xw_agencies.csv"))
  pops <- read_populations(file.path(REF, "xw_populations.csv"))
  cw <- read_crosswalk(file.path(REF, "xw_crosswalk.csv"))
  # The project's copy dates the three New-Year answers of MG inside 2025 (refdata/README.md),
  # so the year rule of CONTRACT.md gives the shared file's n = 560.
  resp <- read_responses(file.path(REF, c("xw_responses_2023.csv", "xw_responses_2025.csv")))
  y1 <- year_data(resp, pops, 2025); y0 <- year_data(resp, pops, 2023)
  rows <- agency_rows_stratified(y1, y0, ag$code, cw)
  p <- sapply(rows, function(r) num(r$change$p_value)); ph <- adjust_p(p, "holm")
  rr <- rank_ranges(sapply(rows, function(r) r$est), sapply(rows, function(r) num(r$se)))
  for (j in seq_along(rows)) {
    rows[[j]]$change$p_holm <- num(ph[j])
    rows[[j]]$change$verdict_holm <- OLD_WORDS[[verdict_adj(ph[j], num(rows[[j]]$change$diff))]]
    rows[[j]]$change$verdict <- OLD_WORDS[[rows[[j]]$change$verdict]]
    rows[[j]]$predecessors <- lapply(seq_along(rows[[j]]$pred), function(i)
      list(agency = names(rows[[j]]$pred)[i], share = unname(rows[[j]]$pred[i])))
    rows[[j]]$rank_low <- rr$low[j]; rows[[j]]$rank_high <- rr$high[j]
    rows[[j]]$ci <- arr(rows[[j]]$ci); rows[[j]]$change$ci <- arr(rows[[j]]$change$ci)
    rows[[j]]$pred <- NULL; rows[[j]]$r1 <- NULL; rows[[j]]$r0 <- NULL
  }
  list(generated_by = script_name(), R = R.version.string, survey = as.character(packageVersion("survey")),
       note = "agency rows, stratified basis, 2025 against 2023 through the crosswalk (METHODS 11-12); Holm over all rows with a p; rank range Bonferroni z",
       year = 2025L, baseline = 2023L, z_rank = rr$z, K = length(rows), rows = rows)
}

## ---------------------------------------------------------------------------------------
## Formula test vectors (unit_cases.json).  The cases (inputs) are those of the shared file;
## every output is recomputed here, with R's own functions as the check_* columns.
## ---------------------------------------------------------------------------------------
unit_cases <- function() {
  u <- fromJSON(file.path(REF, "expected", "unit_cases.json"), simplifyVector = FALSE)
  ptest_ci <- function(x, n) {
    if (n == 0 || x != round(x) || n != round(n)) return(NA)
    arr(as.numeric(suppressWarnings(prop.test(x, n, correct = FALSE))$conf.int))
  }
  list(
    z_975 = Z,
    qt_975 = lapply(u$qt_975, function(c) list(df = c$df, q = qt(0.975, c$df))),
    wilson = lapply(u$wilson, function(c) list(x = c$x, n = c$n, ci = arr(wilson(c$x, c$n)),
                                               check_prop_test = ptest_ci(c$x, c$n))),
    newcombe = lapply(u$newcombe, function(c) {
      pp <- suppressWarnings(prop.test(c(c$x1, c$x0), c(c$n1, c$n0), correct = FALSE)$p.value)
      list(x1 = c$x1, n1 = c$n1, x0 = c$x0, n0 = c$n0, diff = c$x1 / c$n1 - c$x0 / c$n0,
           ci = arr(newcombe(c$x1, c$n1, c$x0, c$n0)), p_pooled_z = pooled_z_p(c$x1, c$n1, c$x0, c$n0),
           check_prop_test_p = num(pp))
    }),
    newcombe_published_example = u$newcombe_published_example,
    p_adjust = list(p = arr(unlist(u$p_adjust$p)), holm = arr(p.adjust(unlist(u$p_adjust$p), "holm")),
                    bh = arr(p.adjust(unlist(u$p_adjust$p), "BH"))),
    wilson_neff = lapply(u$wilson_neff, function(c) {
      w <- wilson_neff(c$p, c$var, c$n)
      list(p = c$p, var = c$var, n = c$n, n_eff = w$n_eff, ci = arr(w$ci))
    }),
    min_sample_size = lapply(u$min_sample_size, function(c)
      list(margin = c$margin, p = c$p, N = if (is.null(c$N)) NA else c$N, deff = c$deff,
           n = sample_size(c$margin, c$p, c$deff, if (is.null(c$N)) Inf else c$N))),
    welch_df = with(u$welch_df, list(V1 = V1, n1 = n1, V0 = V0, n0 = n0, df = welch_df(V1, n1, V0, n0))))
}

## ---------------------------------------------------------------------------------------
files <- list(
  "2024_vs_2023_raw.json" = function() raw_report("", 2024, 2023),
  "2024_vs_aggregates_2023.json" = aggregate_report,
  "edge_2024_vs_2023_raw.json" = function() raw_report("edge_", 2024, 2023),
  "xw_2025_vs_2023.json" = xw_report,
  "unit_cases.json" = unit_cases)
for (f in names(files)) {
  write_json_file(files[[f]](), file.path(out_dir, f))
  cat("wrote", file.path(out_dir, f), "\n")
}
status <- 0
if (do_check) {
  cat("\ncomparison with refdata/expected (bootstrap and meta excluded):\n")
  for (f in names(files)) {
    r <- compare_json(file.path(out_dir, f), file.path(REF, "expected", f))
    cat(sprintf("  %-30s %5d leaves  max |diff| %.3g (%s); without n_eff/df %.3g (%s)  %s\n", f, r$leaves,
                r$max_abs, r$where, r$max_abs_abs, r$where_abs,
                if (length(r$problems)) sprintf("%d PROBLEMS", length(r$problems)) else "ok"))
    if (length(r$problems)) { cat(paste0("    ", head(r$problems, 40), "\n"), sep = ""); status <- 1 }
  }
}
cat(sprintf("elapsed %.1f s\n", proc.time()[["elapsed"]] - t_start))
quit(status = status)
