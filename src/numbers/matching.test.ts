import { matchCampaign } from './matching';
import { deviceOf, parseVisit } from './visit';

const campaigns = [
  { id: 'default', match: {} },
  { id: 'google-cpc', match: { utmSource: 'google', utmMedium: 'cpc' } },
  { id: 'google-any', match: { utmSource: 'google' } },
  { id: 'yelp', match: { referrerDomain: 'yelp.com' } },
  { id: 'billboard', match: { landingParam: 'promo=billboard' } },
];
const pick = (url: string, ref?: string) => matchCampaign(campaigns, parseVisit(url, ref))?.id;

describe('matchCampaign', () => {
  it('prefers a landing-URL parameter over UTM tags and referrer', () => {
    expect(
      pick(
        'https://a.test/?promo=billboard&utm_source=google&utm_medium=cpc',
        'https://www.yelp.com/x',
      ),
    ).toBe('billboard');
  });

  it('prefers UTM tags over the referrer, and the more specific UTM match', () => {
    expect(pick('https://a.test/?utm_source=Google&utm_medium=cpc', 'https://yelp.com/')).toBe(
      'google-cpc',
    );
    expect(pick('https://a.test/?utm_source=google&utm_medium=email')).toBe('google-any');
  });

  it('matches the referrer domain and its subdomains', () => {
    expect(pick('https://a.test/', 'https://m.yelp.com/biz/acme')).toBe('yelp');
  });

  it('falls back to the default campaign', () => {
    expect(pick('https://a.test/', 'https://news.example.org/')).toBe('default');
    expect(pick('https://a.test/?promo=radio')).toBe('default');
  });

  it('returns nothing when a site has no default and nothing matches', () => {
    expect(
      matchCampaign([{ id: 'x', match: { utmSource: 'bing' } }], parseVisit('https://a.test/')),
    ).toBeUndefined();
  });
});

describe('parseVisit', () => {
  it('reads UTM tags and click ids', () => {
    const v = parseVisit(
      'https://www.acme.test/plumbing?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=drain+repair&gclid=abc',
      'https://www.google.com/',
    );
    expect(v).toMatchObject({
      landingPath: '/plumbing',
      source: 'google',
      medium: 'cpc',
      utmCampaign: 'spring',
      utmTerm: 'drain repair',
      gclid: 'abc',
      referrerDomain: 'google.com',
    });
  });

  it('derives source and medium from click ids and referrers when there are no tags', () => {
    expect(parseVisit('https://a.test/?msclkid=1').source).toBe('bing');
    expect(parseVisit('https://a.test/', 'https://www.google.co.uk/').medium).toBe('organic');
    expect(parseVisit('https://a.test/', 'https://blog.partner.test/post')).toMatchObject({
      source: 'blog.partner.test',
      medium: 'referral',
    });
    expect(parseVisit('https://a.test/')).toMatchObject({ source: '(direct)', medium: '(none)' });
  });

  it('ignores a referrer on the same site', () => {
    expect(parseVisit('https://www.a.test/x', 'https://a.test/y').referrerDomain).toBeNull();
  });

  it('rejects non-http landing URLs', () => {
    expect(() => parseVisit('javascript:alert(1)')).toThrow();
    expect(() => parseVisit('not a url')).toThrow();
  });
});

describe('deviceOf', () => {
  it('tells phones, tablets, desktops and bots apart', () => {
    expect(deviceOf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148')).toBe(
      'mobile',
    );
    expect(deviceOf('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)')).toBe('tablet');
    expect(
      deviceOf('Mozilla/5.0 (Linux; Android 14; SM-X200) AppleWebKit/537.36 Safari/537.36'),
    ).toBe('tablet');
    expect(deviceOf('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120 Safari/537.36')).toBe(
      'desktop',
    );
    expect(deviceOf('Googlebot/2.1 (+http://www.google.com/bot.html)')).toBe('bot');
    expect(deviceOf(undefined)).toBe('unknown');
  });
});
